// The first thing the page runs, from <head>, before app.js has even arrived: when the URL is a
// run's, it asks for the run's events at once, so the server reads them while the browser fetches
// and compiles the app (which takes the answer in source.ts). Nothing here folds or draws.
export interface Prefetched {
  run: string;
  events: Promise<Response>;
}

const token = new URLSearchParams(location.search).get("token");
const run = /^#\/runs\/([^/]+)/.exec(location.hash)?.[1];
if (token && run) {
  (window as unknown as { pehPrefetch?: Prefetched }).pehPrefetch = {
    run: decodeURIComponent(run),
    events: fetch(`/api/runs/${run}/events`, { headers: { "x-peh-token": token } }),
  };
}
