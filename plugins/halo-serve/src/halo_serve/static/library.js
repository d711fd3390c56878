// The library page: ask every video at once; show new runs and progress as they happen.
"use strict";
(() => {
  const form = document.getElementById("ask");
  const answers = document.getElementById("answers");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = document.getElementById("question").value;
    const button = form.querySelector("button");
    button.disabled = true;
    answers.replaceChildren(halo.el("p", "pending", "Asking every video\u2026"));
    try {
      const data = await halo.post("/api/search", {question, session: halo.session()});
      answers.replaceChildren();
      if (!data.answers.length) answers.append(halo.el("p", "empty", "No finished video to ask yet."));
      for (const answer of data.answers) {
        const card = document.querySelector(`[data-video="${CSS.escape(answer.video)}"] .title`);
        const heading = halo.el("p", "video-link");
        const link = halo.el("a", "", card ? card.textContent : answer.video);
        link.href = `/v/${encodeURIComponent(answer.video)}`;
        const match = halo.el("span", "match", `${Math.round(answer.match * 100)}% of the question's words`);
        heading.append(link, match);
        const href = (t) => `/v/${encodeURIComponent(answer.video)}#t=${t}`;
        answers.append(halo.renderAnswer(answer, href, heading));
      }
    } catch (error) {
      answers.replaceChildren(halo.failure(error));
    } finally {
      button.disabled = false;
    }
  });

  halo.watch(() => {
    // Redraw at once unless it would wipe answers the reader is looking at.
    if (answers.childElementCount) document.getElementById("updated").hidden = false;
    else location.reload();
  });
})();
