// `node tools/merge-request-note.mjs FILE`: posts FILE (the Markdown diff) as the merge request's
// note on GitLab, or updates the note an earlier pipeline posted: that note is found by the marker
// every report starts with, so a merge request carries one note, naming the commit it describes.
// Reads GitLab's predefined variables (CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID) and
// PLATFORM_DIFF_TOKEN (see docs/review.md, "CI"). Exit 0 posted or updated, 2 missing input,
// 1 the API refused (its answer is printed).
import * as fs from 'node:fs';

export const MARKER = '<!-- platform-rendered-diff -->';

/** Calls the notes API; throws with GitLab's answer on an error status. */
async function call(url, token, init = {}) {
  const response = await fetch(url, { ...init, headers: { 'PRIVATE-TOKEN': token, 'Content-Type': 'application/json', ...init.headers } });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url.replace(/\?.*/, '')}: ${response.status} ${text.slice(0, 500)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** The id of the oldest note of `author` whose body starts with the marker, following every page. */
async function findNote(notes, token, author) {
  for (let page = 1; ; page++) {
    const batch = await call(`${notes}?sort=asc&order_by=created_at&per_page=100&page=${page}`, token);
    const mine = batch.find((n) => n.author?.id === author && typeof n.body === 'string' && n.body.startsWith(MARKER));
    if (mine) return mine.id;
    if (batch.length < 100) return undefined;
  }
}

/** Posts or updates the note; returns what it did. */
export async function upsertNote({ apiUrl, projectId, mergeRequestIid, token, body }) {
  const notes = `${apiUrl}/projects/${encodeURIComponent(projectId)}/merge_requests/${mergeRequestIid}/notes`;
  // Only the token's own note: a note quoting the marker, written by someone else, is left alone.
  const { id: author } = await call(`${apiUrl}/user`, token);
  const id = await findNote(notes, token, author);
  if (id === undefined) {
    const created = await call(notes, token, { method: 'POST', body: JSON.stringify({ body }) });
    return { action: 'posted', id: created.id };
  }
  await call(`${notes}/${id}`, token, { method: 'PUT', body: JSON.stringify({ body }) });
  return { action: 'updated', id };
}

async function main() {
  const [file] = process.argv.slice(2);
  const env = process.env;
  const missing = ['CI_API_V4_URL', 'CI_PROJECT_ID', 'CI_MERGE_REQUEST_IID', 'PLATFORM_DIFF_TOKEN'].filter((k) => !env[k]);
  if (!file || missing.length > 0) {
    console.error(`usage: node tools/merge-request-note.mjs FILE (needs ${missing.join(', ') || 'FILE'})`);
    return 2;
  }
  const body = fs.readFileSync(file, 'utf8');
  if (!body.startsWith(MARKER)) {
    console.error(`merge-request-note: ${file} does not start with ${MARKER}: not a rendered diff`);
    return 2;
  }
  const args = {
    apiUrl: env.CI_API_V4_URL,
    projectId: env.CI_PROJECT_ID,
    mergeRequestIid: env.CI_MERGE_REQUEST_IID,
    token: env.PLATFORM_DIFF_TOKEN,
    body,
  };
  try {
    const { action, id } = await upsertNote(args);
    console.log(`merge-request-note: ${action} note ${id}`);
    return 0;
  } catch (err) {
    console.error(`merge-request-note: ${err.message}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
