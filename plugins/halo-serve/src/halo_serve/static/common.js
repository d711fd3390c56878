// Shared by the pages: JSON calls, answers drawn as DOM (text only, never HTML), run watching.
"use strict";
const halo = (() => {
  const LABEL = /\[(\d+(?::\d\d){1,2})\s*[\u2013-]\s*(\d+(?::\d\d){1,2})\]/g;

  function clock(seconds) {
    const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
  }

  function seconds(label) {
    return label.split(":").reduce((total, part) => total * 60 + Number(part), 0);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({error: `HTTP ${response.status}`}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  // One conversation per browser tab, so follow-up questions keep their context.
  function session() {
    let name = sessionStorage.getItem("halo-session");
    if (!name) {
      const bytes = crypto.getRandomValues(new Uint8Array(6));
      name = "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      sessionStorage.setItem("halo-session", name);
    }
    return name;
  }

  // The answer text with its time labels as links; the labels the server appends for the
  // citations are dropped from the text, since the citations are drawn as links below it.
  function answerText(data, href) {
    let text = data.answer;
    const cited = data.citations.map((c) => `[${clock(c.start)}\u2013${clock(c.end)}]`).join(" ");
    if (cited && text.endsWith(cited)) text = text.slice(0, -cited.length).trim();
    const p = el("p", "a");
    let last = 0;
    for (const match of text.matchAll(LABEL)) {
      p.append(text.slice(last, match.index));
      const link = el("a", "time", match[0]);
      link.href = href(seconds(match[1]));
      p.append(link);
      last = match.index + match[0].length;
    }
    p.append(text.slice(last));
    return p;
  }

  function renderAnswer(data, href, heading) {
    const article = el("article", "answer");
    if (heading) article.append(heading);
    article.append(el("p", "q", data.question), answerText(data, href));
    const cites = el("p", "cites");
    for (const c of data.citations) {
      const link = el("a", "cite", `\u25B6 ${clock(c.start)}\u2013${clock(c.end)}`);
      link.href = href(c.start);
      link.dataset.start = c.start;
      cites.append(link);
    }
    article.append(cites);
    const tier = data.cache_tier ? `cache ${data.cache_tier}` : "no cache hit";
    const tokens = `${data.usage.input_tokens} input tokens (${data.naive_input_tokens} with the whole transcript)`;
    article.append(el("p", "meta", `${tier} \u00B7 ${tokens} \u00B7 $${data.cost_usd.toFixed(4)}`));
    return article;
  }

  function failure(error) {
    return el("p", "error", error.message);
  }

  // Calls onChange once the videos or their progress differ from what this page was drawn from.
  function watch(onChange, everyMs = 4000) {
    let first = null;
    const fingerprint = (videos) => JSON.stringify(videos.map((v) => [
      v.id, v.status, v.chunk_count, v.stages.filter((s) => s.done).length,
    ]));
    async function poll() {
      try {
        const response = await fetch("/api/videos");
        if (response.ok) {
          const now = fingerprint(await response.json());
          if (first === null) first = now;
          else if (now !== first) return onChange();
        }
      } catch (e) { /* the server may be restarting: try again */ }
      setTimeout(poll, everyMs);
    }
    poll();
  }

  return {clock, el, post, session, renderAnswer, failure, watch};
})();
