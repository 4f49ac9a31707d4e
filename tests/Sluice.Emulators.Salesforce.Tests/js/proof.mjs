// Drives the Sluice Salesforce emulator with jsforce, an independent real client.
// Usage: node proof.mjs <baseUrl> <clientId> <clientSecret>. Exits non-zero on any unexpected answer.
import jsforce from 'jsforce';

const [baseUrl, clientId, clientSecret] = process.argv.slice(2);
if (!baseUrl || !clientId || !clientSecret) {
  console.error('usage: node proof.mjs <baseUrl> <clientId> <clientSecret>');
  process.exit(2);
}

function check(condition, message, detail) {
  if (!condition) {
    console.error(`FAILED: ${message}`, detail === undefined ? '' : JSON.stringify(detail));
    process.exit(1);
  }
  console.log(`ok - ${message}`);
}

const tokenResponse = await fetch(new URL('/services/oauth2/token', baseUrl), {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
});
check(tokenResponse.status === 200, 'client_credentials token', tokenResponse.status);
const token = await tokenResponse.json();
check(typeof token.access_token === 'string' && token.instance_url, 'token has access_token and instance_url', Object.keys(token));

const conn = new jsforce.Connection({ instanceUrl: token.instance_url, accessToken: token.access_token, version: '59.0' });

// describe
const describe = await conn.sobject('Contact').describe();
check(describe.name === 'Contact' && describe.keyPrefix === '003', 'describe Contact');
const required = describe.fields.filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate).map((f) => f.name);
check(JSON.stringify(required) === '["LastName"]', 'Contact requires LastName only', required);
check(describe.fields.some((f) => f.name === 'External_Id__c' && f.externalId), 'describe has External_Id__c');

// create (single) and create (collection)
const created = await conn.sobject('Contact').create({ LastName: 'Lovelace', FirstName: 'Ada', Email: 'ada@example.com', External_Id__c: 'js-1' });
check(created.success && created.id.startsWith('003'), 'create single', created);
const many = await conn.sobject('Contact').create([
  { LastName: 'Hopper', External_Id__c: 'js-2' },
  { FirstName: 'NoLastName' },
], { allOrNone: false });
check(many.length === 2 && many[0].success && !many[1].success, 'create collection with one failure', many);
check(many[1].errors[0].statusCode === 'REQUIRED_FIELD_MISSING' || many[1].errors[0].errorCode === 'REQUIRED_FIELD_MISSING', 'failure is REQUIRED_FIELD_MISSING', many[1]);

// update
const updated = await conn.sobject('Contact').update({ Id: created.id, Title: 'Countess' });
check(updated.success && updated.id === created.id, 'update single', updated);
const updatedMany = await conn.sobject('Contact').update([{ Id: created.id, Department: 'Math' }, { Id: many[0].id, Title: 'Rear Admiral' }]);
check(updatedMany.every((r) => r.success), 'update collection', updatedMany);

// upsert: single update, single create, collection
const up1 = await conn.sobject('Contact').upsert({ External_Id__c: 'js-1', Phone: '555-0100' }, 'External_Id__c');
check(up1.success && up1.created === false && up1.id === created.id, 'upsert single (update)', up1);
const up2 = await conn.sobject('Contact').upsert({ External_Id__c: 'js-3', LastName: 'Turing' }, 'External_Id__c');
check(up2.success && up2.created === true, 'upsert single (create)', up2);
const upMany = await conn.sobject('Contact').upsert([
  { External_Id__c: 'js-3', LastName: 'Turing2' },
  { External_Id__c: 'js-4', LastName: 'Knuth' },
], 'External_Id__c');
check(upMany.length === 2 && upMany[0].created === false && upMany[1].created === true, 'upsert collection', upMany);

// retrieve
const record = await conn.sobject('Contact').retrieve(created.id);
check(record.Id === created.id && record.Title === 'Countess' && record.Phone === '555-0100' && record.Department === 'Math', 'retrieve', record);
const records = await conn.sobject('Contact').retrieve([created.id, many[0].id], { fields: ['Id', 'Title'] });
check(records.length === 2 && records[1].Title === 'Rear Admiral', 'retrieve many', records);

// query
const result = await conn.query("SELECT Id, LastName FROM Contact WHERE External_Id__c IN ('js-1', 'js-3')");
check(result.totalSize === 2 && result.done && result.records.every((r) => r.attributes.type === 'Contact'), 'query IN', result);
const none = await conn.query("SELECT Id FROM Contact WHERE Email = 'nobody@example.com'");
check(none.totalSize === 0 && none.records.length === 0, 'query no match', none);
// LIKE, ORDER BY, COUNT() and AND/OR, as independent clients write them
const liked = await conn.query("SELECT Id, LastName FROM Contact WHERE LastName LIKE '%' AND (Email != null OR LastName != null) ORDER BY LastName DESC");
check(liked.totalSize > 0 && liked.records.every((r, i, a) => i === 0 || a[i - 1].LastName.localeCompare(r.LastName, 'en', { sensitivity: 'base' }) >= 0), 'query LIKE, AND/OR, ORDER BY DESC', liked.records.map(r => r.LastName));
const counted = await conn.query('SELECT COUNT() FROM Contact');
check(counted.totalSize === liked.totalSize && counted.records.length === 0, 'query COUNT()', { totalSize: counted.totalSize });

let malformed = null;
try {
  await conn.query('SELECT LastName FROM Contact GROUP BY LastName');
} catch (e) {
  malformed = e;
}
check(malformed && (malformed.errorCode === 'MALFORMED_QUERY' || malformed.name === 'MALFORMED_QUERY'), 'unsupported SOQL is MALFORMED_QUERY', malformed && { name: malformed.name, errorCode: malformed.errorCode });

// errors come back as jsforce errors with the Salesforce code
let notFound = null;
try {
  await conn.sobject('Contact').retrieve('003000000000009AAA');
} catch (e) {
  notFound = e;
}
check(notFound && (notFound.errorCode === 'NOT_FOUND' || notFound.name === 'NOT_FOUND'), 'retrieve of a missing id is NOT_FOUND', notFound && { name: notFound.name, errorCode: notFound.errorCode });

// destroy
const destroyed = await conn.sobject('Contact').destroy(many[0].id);
check(destroyed.success, 'destroy', destroyed);

// Bulk API 2.0
const bulkInsert = await conn.bulk2.loadAndWaitForResults({
  object: 'Lead',
  operation: 'insert',
  input: [
    { LastName: 'Bulk1', Company: 'Acme', Email: 'b1@example.com', External_Id__c: 'b-1' },
    { LastName: 'Bulk2', Company: 'Acme', Email: 'not-an-email', External_Id__c: 'b-2' },
    { LastName: 'Bulk3', Company: 'Acme', Email: 'b3@example.com', External_Id__c: 'b-3' },
  ],
  pollInterval: 50,
  pollTimeout: 30000,
});
check(bulkInsert.successfulResults.length === 2, 'bulk2 insert successes', bulkInsert.successfulResults);
check(bulkInsert.successfulResults.every((r) => r.sf__Id.startsWith('00Q') && r.sf__Created === 'true'), 'bulk2 success rows carry sf__Id and sf__Created', bulkInsert.successfulResults);
check(bulkInsert.failedResults.length === 1 && bulkInsert.failedResults[0].sf__Error.startsWith('INVALID_EMAIL_ADDRESS:'), 'bulk2 insert failure row', bulkInsert.failedResults);
check(bulkInsert.unprocessedRecords.length === 0, 'bulk2 insert leaves nothing unprocessed', bulkInsert.unprocessedRecords);

const bulkUpsert = await conn.bulk2.loadAndWaitForResults({
  object: 'Lead',
  operation: 'upsert',
  externalIdFieldName: 'External_Id__c',
  input: [
    { External_Id__c: 'b-1', LastName: 'Bulk1b', Company: 'Acme' },
    { External_Id__c: 'b-4', LastName: 'Bulk4', Company: 'Beta' },
  ],
  pollInterval: 50,
  pollTimeout: 30000,
});
const createdFlags = bulkUpsert.successfulResults.map((r) => r.sf__Created).sort();
check(JSON.stringify(createdFlags) === '["false","true"]', 'bulk2 upsert updates one and creates one', bulkUpsert);

const leads = await conn.query("SELECT Id, LastName FROM Lead WHERE External_Id__c = 'b-1'");
check(leads.totalSize === 1 && leads.records[0].LastName === 'Bulk1b', 'bulk2 upsert changed the record', leads);

const bulkDelete = await conn.bulk2.loadAndWaitForResults({
  object: 'Lead',
  operation: 'delete',
  input: [{ Id: leads.records[0].Id }],
  pollInterval: 50,
  pollTimeout: 30000,
});
check(bulkDelete.successfulResults.length === 1, 'bulk2 delete', bulkDelete);

console.log('jsforce proof passed');
