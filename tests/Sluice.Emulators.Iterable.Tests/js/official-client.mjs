// Drives Sluice's Iterable emulator with Iterable's own client library, so that the emulator's answers are checked
// by code we did not write. Usage: ITERABLE_EMULATOR_URL=http://127.0.0.1:port ITERABLE_EMULATOR_KEY=key node official-client.mjs
// Exits 0 when every call succeeds with the expected answer, 1 otherwise.
import { IterableClient } from "@iterable/api";

const baseUrl = process.env.ITERABLE_EMULATOR_URL;
const apiKey = process.env.ITERABLE_EMULATOR_KEY;
if (!baseUrl || !apiKey) {
  console.error("Set ITERABLE_EMULATOR_URL and ITERABLE_EMULATOR_KEY.");
  process.exit(2);
}

const check = (condition, what, actual) => {
  if (!condition) throw new Error(`${what} (got ${JSON.stringify(actual)})`);
  console.log(`ok - ${what}`);
};

const expectFailure = async (call, what, test) => {
  try {
    await call();
  } catch (error) {
    check(test(error), what, { name: error.name, statusCode: error.statusCode, code: error.code, message: error.message });
    return;
  }
  throw new Error(`${what} (the call succeeded)`);
};

const client = new IterableClient({ apiKey, baseUrl, timeout: 15000 });
const intruder = new IterableClient({ apiKey: "not-the-key", baseUrl, timeout: 15000 });
try {
  const email = "official-client@example.com";
  const userId = "official-client-1";

  const updated = await client.updateUser({
    email,
    userId,
    dataFields: { plan: "pro", seats: 3, prefs: { sms: true } },
  });
  check(updated.code === "Success", "updateUser answers Success", updated);

  const merged = await client.updateUser({ email, dataFields: { prefs: { push: false } }, mergeNestedObjects: true });
  check(merged.code === "Success", "updateUser with mergeNestedObjects answers Success", merged);

  const bulk = await client.bulkUpdateUsers({
    users: [
      { email: "bulk-1@example.com", dataFields: { plan: "free" } },
      { email: "bulk-2@example.com", userId: "bulk-2", dataFields: { seats: 1, score: 2.5 } },
      { email: "bad email@example.com", dataFields: { plan: "free" } },
    ],
  });
  check(bulk.successCount === 2 && bulk.failCount === 1, "bulkUpdateUsers counts successes and failures", bulk);
  check(bulk.failedUpdates?.invalidEmails?.includes("bad email@example.com"), "bulkUpdateUsers lists the invalid email", bulk);
  check(bulk.createdFields?.includes("score"), "bulkUpdateUsers lists created fields", bulk);

  const byEmail = await client.getUserByEmail({ email });
  check(byEmail.user?.userId === userId, "getUserByEmail finds the user with its userId", byEmail);
  check(byEmail.user.dataFields?.plan === "pro" && byEmail.user.dataFields?.prefs?.sms === true
    && byEmail.user.dataFields?.prefs?.push === false, "getUserByEmail returns merged dataFields", byEmail);

  const byUserId = await client.getUserByUserId({ userId: "bulk-2" });
  check(byUserId.user?.email === "bulk-2@example.com", "getUserByUserId finds the bulk user", byUserId);

  const missing = await client.getUserByEmail({ email: "nobody@example.com" });
  check(missing.user === undefined, "getUserByEmail of an unknown user has no user", missing);

  const fields = await client.getUserFields();
  check(fields.fields.email === "string" && fields.fields.userId === "string", "getUserFields includes email and userId", fields);
  check(fields.fields.seats === "long" && fields.fields.score === "double" && fields.fields["prefs.sms"] === "boolean",
    "getUserFields reports inferred types", fields);

  const deletedByEmail = await client.deleteUserByEmail({ email });
  check(deletedByEmail.code === "Success", "deleteUserByEmail answers Success", deletedByEmail);
  const gone = await client.getUserByEmail({ email });
  check(gone.user === undefined, "a deleted user is gone", gone);

  const deletedByUserId = await client.deleteUserByUserId({ userId: "bulk-2" });
  check(deletedByUserId.code === "Success", "deleteUserByUserId answers Success", deletedByUserId);

  await expectFailure(() => client.deleteUserByUserId({ userId: "bulk-2" }),
    "deleting an unknown user fails with 'User does not exist'",
    (error) => error.statusCode === 400 && /User does not exist/.test(error.message));

  await expectFailure(() => client.updateUser({ email: "typed@example.com", dataFields: { seats: "three" } }),
    "a type mismatch fails with RequestFieldsTypesMismatched",
    (error) => error.statusCode === 400 && error.code === "RequestFieldsTypesMismatched");

  await expectFailure(() => intruder.getUserFields(), "a wrong key fails with 401 BadApiKey",
    (error) => error.statusCode === 401 && error.code === "BadApiKey");

  console.log("all checks passed");
} catch (error) {
  console.error(`FAILED: ${error?.stack ?? error}`);
  process.exitCode = 1;
} finally {
  client.destroy();
  intruder.destroy();
}
