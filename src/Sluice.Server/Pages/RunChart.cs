using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;
using Sluice.Server.Api;

namespace Sluice.Server.Pages;

/// <summary>
/// A sync's rows sent and rejected over time, as inline SVG drawn on the server from its run history: one point per
/// finished run on each line, placed by the run's start, with the numbers in each point's title (no script, no build).
/// </summary>
public static class RunChart
{
    private const int Width = 1000, Height = 220, Left = 56, Right = 12, Top = 14, Bottom = 30;

    /// <summary>The chart of <paramref name="runs"/> (any order); empty when no run has finished.</summary>
    public static IHtmlContent Render(IReadOnlyList<RunView> runs)
    {
        var points = runs.Where(r => r.Finished).OrderBy(r => r.StartedAt).ThenBy(r => r.RunId).ToList();
        if (points.Count == 0)
            return HtmlString.Empty;
        var first = points[0].StartedAt;
        var span = (points[^1].StartedAt - first).TotalSeconds;
        var top = Math.Max(1, points.Max(r => Math.Max(r.Counts.Sent, r.Counts.Rejected)));
        double X(int i) => Left + (Width - Left - Right) *
            (span > 0 ? (points[i].StartedAt - first).TotalSeconds / span : points.Count == 1 ? 0.5 : (double)i / (points.Count - 1));
        double Y(long value) => Top + (Height - Top - Bottom) * (1 - (double)value / top);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg id=\"run-chart\" role=\"img\" viewBox=\"0 0 {Width} {Height}\" width=\"100%\" aria-label=\"Rows sent and rejected per run\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#d0d7de\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"#d0d7de\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + 4}\" text-anchor=\"end\" font-size=\"12\">{top:N0}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Height - Bottom}\" text-anchor=\"end\" font-size=\"12\">0</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Height - 8}\" font-size=\"12\">{IndexModel.Format(first)}</text>");
        if (points.Count > 1)
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{Width - Right}\" y=\"{Height - 8}\" text-anchor=\"end\" font-size=\"12\">{IndexModel.Format(points[^1].StartedAt)}</text>");
        Series(svg, "sent", "#0969da", points, X, Y, r => r.Counts.Sent);
        Series(svg, "rejected", "#cf222e", points, X, Y, r => r.Counts.Rejected);
        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    private static void Series(StringBuilder svg, string name, string color, List<RunView> points, Func<int, double> x, Func<long, double> y,
        Func<RunView, long> value)
    {
        var line = string.Join(' ', points.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"{x(i):0.#},{y(value(r)):0.#}")));
        svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"line-{name}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{line}\"/>");
        for (var i = 0; i < points.Count; i++)
        {
            var r = points[i];
            var title = WebUtility.HtmlEncode($"run {r.RunId}, {IndexModel.Format(r.StartedAt)}: {value(r):N0} {name}");
            svg.Append(CultureInfo.InvariantCulture,
                $"<circle class=\"point-{name}\" data-run=\"{r.RunId}\" cx=\"{x(i):0.#}\" cy=\"{y(value(r)):0.#}\" r=\"4\" fill=\"{color}\"><title>{title}</title></circle>");
        }
    }
}
