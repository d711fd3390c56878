// The video page: chapters and transcript lines seek the player and follow it as it plays;
// #t=SECONDS links (citations, note headings, line times) seek without reloading.
"use strict";
(() => {
  const page = document.getElementById("page");
  const player = document.getElementById("player");
  const chapters = Array.from(document.querySelectorAll(".chapter"));
  const lines = Array.from(document.querySelectorAll("#transcript .line"));
  const slides = Array.from(document.querySelectorAll("#slides .slide"));
  const transcript = document.getElementById("transcript");

  for (const chapter of chapters) {
    // widths follow durations (set here: the page's CSP allows no inline style)
    chapter.style.flexGrow = String(Number(chapter.dataset.end) - Number(chapter.dataset.start));
  }

  function seek(seconds) {
    if (!player || !Number.isFinite(seconds)) return;
    const go = () => {
      player.currentTime = seconds;
      player.play().catch(() => {});
    };
    if (player.readyState >= 1) go();
    else player.addEventListener("loadedmetadata", go, {once: true});
  }

  function fromHash(hash) {
    const match = /^#t=(\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(hash);
    return match ? Number(match[1]) : null;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#t=']");
    if (link) {
      event.preventDefault();
      history.replaceState(null, "", link.getAttribute("href"));
      seek(fromHash(link.getAttribute("href")));
      return;
    }
    const item = event.target.closest(".chapter, #transcript .line, #slides .slide");
    if (item) seek(Number(item.dataset.start));
  });
  window.addEventListener("hashchange", () => seek(fromHash(location.hash)));
  if (fromHash(location.hash) !== null) seek(fromHash(location.hash));

  // the last item (in time order) that started at or before t; null before the first
  function current(items, t) {
    let lo = 0, hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Number(items[mid].dataset.start) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo ? items[lo - 1] : null;
  }

  const shown = new Map();
  function mark(items, key, t, follow) {
    const now = current(items, t);
    const before = shown.get(key);
    if (now === before) return;
    if (before) before.classList.remove("now");
    if (now) {
      now.classList.add("now");
      if (follow) {
        // keep the line in view inside its own scroll box, never scrolling the page
        const box = follow.getBoundingClientRect(), row = now.getBoundingClientRect();
        if (row.top < box.top || row.bottom > box.bottom) {
          follow.scrollTop += row.top - box.top - box.height / 3;
        }
      }
    }
    shown.set(key, now);
  }

  if (player) {
    player.addEventListener("timeupdate", () => {
      const t = player.currentTime;
      mark(chapters, "chapters", t);
      mark(lines, "lines", t, transcript);
      mark(slides, "slides", t, document.getElementById("slides"));
    });
  }

  const form = document.getElementById("ask");
  const answers = document.getElementById("answers");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = document.getElementById("question");
      const button = form.querySelector("button");
      button.disabled = true;
      const pending = halo.el("p", "pending", "Thinking\u2026");
      answers.prepend(pending);
      try {
        const data = await halo.post("/api/ask", {
          question: input.value, session: halo.session(), video: page.dataset.video,
        });
        pending.replaceWith(halo.renderAnswer(data, (t) => `#t=${t}`));
        input.value = "";
      } catch (error) {
        pending.replaceWith(halo.failure(error));
      } finally {
        button.disabled = false;
      }
    });
  }

  if (page.dataset.status !== "finished") {
    // redraw with the run's progress, but never under someone watching or reading an answer
    halo.watch(() => {
      if ((player && !player.paused) || answers.childElementCount) {
        document.getElementById("updated").hidden = false;
      } else {
        location.reload();
      }
    });
  }
})();
