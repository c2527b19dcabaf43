// A module job type: checks that a URL answers with the expected status,
// retrying until it does or `withinMs` runs out. Typical after a deploy
// step ("is the new instance up?"). Register it for the whole cluster:
//   npx jobtree types add examples/types/http-check.mjs
export default {
  name: 'http-check',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^https?://' },
      status: { type: 'integer', minimum: 100, maximum: 599, default: 200 },
      withinMs: { type: 'integer', minimum: 0, maximum: 600000, default: 10000 },
    },
  },
  async run(ctx) {
    const { url, status = 200, withinMs = 10000 } = ctx.params;
    const deadline = Date.now() + withinMs;
    for (let attempt = 1; ; attempt++) {
      let got = 'no answer';
      try {
        const res = await fetch(url, { signal: ctx.signal });
        got = `HTTP ${res.status}`;
        if (res.status === status) {
          ctx.log(`attempt ${attempt}: ${url} answered ${got}`);
          return {
            result: { url, status: res.status, attempts: attempt },
            summary: `${got} after ${attempt} tries`,
          };
        }
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        got = err.cause?.code ?? err.message;
      }
      ctx.log(`attempt ${attempt}: ${url}: ${got}`);
      if (Date.now() > deadline)
        throw new Error(`${url} did not answer ${status} within ${withinMs} ms (last: ${got})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  },
};
