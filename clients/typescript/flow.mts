/**
 * A short flow through the TypeScript client: the types openapi-typescript generates from the live
 * schema (schema.ts, beside this file when devkit/clients.py compiles it) and openapi-fetch.
 *
 *     node flow.mjs http://127.0.0.1:8000
 *
 * Two users register (a second registration of the same name is a 409 problem+json body, typed
 * as the schema's `Problem`), bob follows ann (ann's profile and notifications show it), ann
 * posts, bob reads his home feed and searches with the post's X-Consistency-Token (the read waits
 * until the write reached that read model: no polling, but for search's refresh interval), ann
 * deletes the post and a read with the delete's token is a 404 problem. Exits 1, saying which
 * step failed and what the server answered, when anything differs. `tsc` (strict) checks this
 * file against the generated types first: a schema change that breaks a call here fails the
 * check before the flow runs.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Problem = components["schemas"]["Problem"];
type Api = ReturnType<typeof createClient<paths>>;

const TOKEN = "X-Consistency-Token";
const SATISFIED = "X-Consistency-Satisfied";
const SEARCH_REFRESH_WAIT_MS = 10_000; // ten of Elasticsearch's refresh intervals (SEARCH_REFRESH_INTERVAL)

class FlowError extends Error {}

/** What the server answered, for a failure message: a problem's type, detail and errors. */
function described(response: Response, error: Problem | string | undefined): string {
  const body = typeof error === "string" || error === undefined ? String(error ?? "") : JSON.stringify(error);
  return `HTTP ${response.status}: ${body}`;
}

function consistencyToken(response: Response, step: string): string {
  const token = response.headers.get(TOKEN);
  if (!token) throw new FlowError(`${step}: no ${TOKEN} header on the command's answer`);
  return token;
}

function satisfied(response: Response, step: string): void {
  const value = response.headers.get(SATISFIED);
  if (value !== "true") throw new FlowError(`${step}: ${SATISFIED} is ${JSON.stringify(value)}, not "true"`);
}

async function signUp(baseUrl: string, anonymous: Api, username: string) {
  const { data, error, response } = await anonymous.POST("/api/socialapp/v1/auth/register", {
    body: { username, email: `${username}@example.org`, password: crypto.randomUUID() },
  });
  if (data === undefined) throw new FlowError(`register ${username}: ${described(response, error)}`);
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${data.token}` } });
  return { account: data, client };
}

async function main(baseUrl: string): Promise<void> {
  const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const anonymous = createClient<paths>({ baseUrl });
  const ann = await signUp(baseUrl, anonymous, `ts_ann_${run}`);
  const bob = await signUp(baseUrl, anonymous, `ts_bob_${run}`);
  console.log(`registered ${ann.account.username} (${ann.account.id}) and ${bob.account.username} (${bob.account.id})`);

  const again = await anonymous.POST("/api/socialapp/v1/auth/register", {
    body: { username: ann.account.username, email: "other@example.org", password: "x".repeat(12) },
  });
  const problem: Problem | undefined = again.error;
  if (problem === undefined || problem.status !== 409 || problem.errors?.["username"] === undefined) {
    throw new FlowError(`register a taken name: expected a 409 naming username, got ${described(again.response, problem)}`);
  }
  console.log(`a taken name: ${problem.status} ${problem.type}: ${problem.detail}`);

  const follow = await bob.client.PUT("/api/socialapp/v1/users/{username}/follow", {
    params: { path: { username: ann.account.username } },
  });
  if (!follow.data?.following) throw new FlowError(`bob follows ann: ${described(follow.response, follow.error)}`);
  const followToken = consistencyToken(follow.response, "follow");
  let feed = await bob.client.GET("/api/socialapp/v1/feed", { params: { header: { [TOKEN]: followToken } } });
  if (feed.data === undefined) throw new FlowError(`bob's feed after the follow: ${described(feed.response, feed.error)}`);
  satisfied(feed.response, "bob's feed after the follow");
  const profile = await bob.client.GET("/api/socialapp/v1/users/{username}", {
    params: { path: { username: ann.account.username }, header: { [TOKEN]: followToken } },
  });
  if (!profile.data?.followed_by_me || profile.data.follower_count !== 1) {
    throw new FlowError(`ann's profile as bob: ${described(profile.response, profile.error)} ${JSON.stringify(profile.data)}`);
  }
  const told = await ann.client.GET("/api/socialapp/v1/notifications", { params: { header: { [TOKEN]: followToken } } });
  const notes = told.data?.results.map((note) => `${note.kind}:${note.actor.username}`);
  if (notes?.join() !== `follow:${bob.account.username}`) {
    throw new FlowError(`ann's notifications: expected bob's follow, got ${described(told.response, told.error)} ${notes}`);
  }
  console.log("bob follows ann (read back with the follow's token: bob's feed, ann's profile, ann's notifications)");

  const word = `tsflow${run}`;
  const created = await ann.client.POST("/api/socialapp/v1/posts", {
    body: { body: `Hello from TypeScript, ${word} #clients` },
  });
  if (created.data === undefined) throw new FlowError(`ann posts: ${described(created.response, created.error)}`);
  const post = created.data;
  const posted = consistencyToken(created.response, "ann posts");
  console.log(`ann posted ${post.id}`);

  feed = await bob.client.GET("/api/socialapp/v1/feed", { params: { header: { [TOKEN]: posted } } });
  if (feed.data === undefined) throw new FlowError(`bob's feed: ${described(feed.response, feed.error)}`);
  satisfied(feed.response, "bob's feed with the post's token");
  const ids = feed.data.results.map((entry) => entry.id);
  if (!ids.includes(post.id)) throw new FlowError(`bob's feed with the post's token: ${post.id} missing from ${ids}`);
  console.log(`bob's feed has the post (X-Read-Lag ${feed.response.headers.get("X-Read-Lag")})`);

  // Search's token waits until the post was pushed to Elasticsearch; it is searchable after the
  // index's refresh interval (1 s): retry briefly (docs/api.md).
  const deadline = Date.now() + SEARCH_REFRESH_WAIT_MS;
  let hits: components["schemas"]["PostHitOut"][] = [];
  for (;;) {
    const found = await bob.client.GET("/api/socialapp/v1/search/posts", {
      params: { query: { q: word }, header: { [TOKEN]: posted } },
    });
    if (found.data === undefined) throw new FlowError(`search: ${described(found.response, found.error)}`);
    satisfied(found.response, "search");
    hits = found.data.results;
    if (hits.length > 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (hits.length !== 1 || hits[0]?.id !== post.id) {
    throw new FlowError(`search ${word}: expected [${post.id}], got [${hits.map((hit) => hit.id)}]`);
  }
  console.log(`search ${word} finds it: ${hits[0].snippet}`);

  const deleted = await ann.client.DELETE("/api/socialapp/v1/posts/{post_id}", {
    params: { path: { post_id: post.id } },
  });
  if (deleted.response.status !== 204) throw new FlowError(`ann deletes the post: ${described(deleted.response, deleted.error)}`);
  const gone = await bob.client.GET("/api/socialapp/v1/posts/{post_id}", {
    params: { path: { post_id: post.id }, header: { [TOKEN]: consistencyToken(deleted.response, "delete") } },
  });
  if (gone.error === undefined || gone.error.status !== 404) {
    throw new FlowError(`read the deleted post: expected a 404 problem, got ${described(gone.response, gone.error)}`);
  }
  console.log(`deleted: reading it is ${gone.error.status} ${gone.error.type}`);
  console.log("typescript flow ok");
}

const baseUrl = process.argv[2];
if (baseUrl === undefined) {
  console.error("usage: node flow.mjs BASE_URL");
  process.exit(2);
}
main(baseUrl.replace(/\/$/, "")).catch((error: unknown) => {
  console.error(`typescript flow FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
