using Sluice.EndToEnd.Tests.Support;

[assembly: AssemblyFixture(typeof(PostgresServer))]
