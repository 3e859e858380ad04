/* Stride's site search, loaded (deferred) by the search page alone.

   The page works without this script: its form submits to the page itself, and a paragraph
   says that searching needs JavaScript and points to the archive. This script only adds to it:
   it hides that paragraph, fetches the index the build wrote (its parts, /search/N.json, once),
   and lists the posts and pages that match as the reader types or submits. The query lives in the URL
   (?q=), so a link to a search, the back and forward buttons and a form elsewhere that submits
   to /search/ all work.

   A word of the query matches the start of a word of the title, tags, headings or text, with
   case and accents ignored; every word must match; titles count most, then tags and headings,
   then the text. Index text only ever reaches the page as text nodes (textContent and DOM
   calls), never as markup. No dependency; nothing leaves the reader's browser. */
(function () {
  "use strict";

  const form = document.querySelector("form.search-form[data-index]");
  if (!form || !window.fetch) return;
  const input = form.querySelector("input[name=q]");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const fallback = document.getElementById("search-fallback");
  if (!input || !status || !list) return;
  try {
    // What the search needs beyond fetch: Unicode property escapes and lookbehind (Safari
    // before 16.4 has no lookbehind). Without them the page keeps its no-JavaScript text.
    new RegExp("(?<![\\p{L}])a", "u");
  } catch (error) {
    return;
  }
  if (fallback) fallback.hidden = true;

  const SHOWN = 50; // results listed at once; the status says how many there are in all
  const BEFORE = 70; // characters of context before the first match in an excerpt
  const EXCERPT = 240; // characters of an excerpt
  const DELAY = 120; // ms after the last keystroke before searching
  const WEIGHT = { title: 100, section: 10, text: 1 }; // section: tags and headings
  const pageTitle = document.title;

  let entries = null; // the index, each entry with its folded fields; null until loaded
  let failed = null; // why the index could not be loaded
  let timer = 0;

  /* Case and accents folded away: "Fourier", "FOURIER" and "fourïer" all read "fourier". */
  function fold(text) {
    return text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase().replace(/ς/g, "σ");
  }

  /* The folded text with, for each of its UTF-16 units, where it came from in `text`: the
     excerpt is cut and marked in the original text around matches found in the folded one. */
  function foldedWithMap(text) {
    if (!/[^\x00-\x7f]/.test(text)) return { folded: text.toLowerCase(), map: null };
    let folded = "";
    const map = [];
    let at = 0;
    for (const ch of text) {
      const part = fold(ch);
      for (let k = 0; k < part.length; k++) map.push(at);
      folded += part;
      at += ch.length;
    }
    map.push(at);
    return { folded: folded, map: map };
  }

  function words(query) {
    return [...new Set(fold(query).match(/[\p{L}\p{N}]+/gu) || [])];
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /* A word of the query matches where a word of the text starts with it. */
  function pattern(word, flags) {
    return new RegExp("(?<![\\p{L}\\p{N}])" + escapeRegExp(word), "u" + (flags || ""));
  }

  function prepare(entry) {
    const tags = Array.isArray(entry.tags) ? entry.tags : [];
    const headings = Array.isArray(entry.headings) ? entry.headings : [];
    return {
      entry: entry,
      title: fold(String(entry.title || "")),
      section: fold(tags.join("\n") + "\n" + headings.join("\n")),
      text: fold(String(entry.text || "")),
      excerpt: null,
    };
  }

  function score(item, patterns) {
    let total = 0;
    for (const re of patterns) {
      let found = 0;
      if (re.test(item.title)) found += WEIGHT.title;
      if (re.test(item.section)) found += WEIGHT.section;
      if (re.test(item.text)) found += WEIGHT.text;
      if (!found) return 0; // every word must match somewhere
      total += found;
    }
    return total;
  }

  function search(query) {
    const patterns = words(query).map((w) => pattern(w));
    if (!patterns.length) return [];
    const found = [];
    for (const item of entries) {
      const points = score(item, patterns);
      if (points) found.push({ item: item, points: points });
    }
    // A stable sort: equal scores keep the index's order, newest post first.
    found.sort((a, b) => b.points - a.points);
    return found;
  }

  /* Ranges [start, end) of `text` where the query's words match, in order, merged. */
  function matches(text, folded, map, queryWords, from, to) {
    const ranges = [];
    for (const word of queryWords) {
      const re = pattern(word, "g");
      let m;
      while ((m = re.exec(folded)) !== null) {
        const start = map ? map[m.index] : m.index;
        const end = map ? map[m.index + m[0].length] : m.index + m[0].length;
        if (end > from && start < to && end > start) ranges.push([start, end]);
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const range of ranges) {
      const last = merged[merged.length - 1];
      if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
      else merged.push(range.slice());
    }
    return merged;
  }

  /* `text` from `from` to `to` into `parent`, the matched words in <mark>. */
  function appendMarked(parent, text, ranges, from, to) {
    let at = from;
    for (const [start, end] of ranges) {
      const a = Math.max(start, from);
      const b = Math.min(end, to);
      if (a > at) parent.append(text.slice(at, a));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(a, b);
      parent.append(mark);
      at = b;
    }
    if (at < to) parent.append(text.slice(at, to));
  }

  function markedTitle(item, queryWords) {
    const title = String(item.entry.title || "");
    const { folded, map } = foldedWithMap(title);
    const span = document.createElement("span");
    appendMarked(span, title, matches(title, folded, map, queryWords, 0, title.length), 0,
      title.length);
    return span;
  }

  /* About EXCERPT characters of the text, from a little before its first match (whole words),
     with the matches marked. */
  function excerpt(item, queryWords) {
    const text = String(item.entry.text || "");
    if (item.excerpt === null) item.excerpt = foldedWithMap(text);
    const { folded, map } = item.excerpt;
    let first = -1;
    for (const word of queryWords) {
      const m = pattern(word).exec(folded);
      if (m && (first < 0 || m.index < first)) first = m.index;
    }
    let from = 0;
    if (first >= 0) {
      const at = map ? map[first] : first;
      if (at > BEFORE) {
        from = text.indexOf(" ", at - BEFORE) + 1;
        if (from <= 0 || from > at) from = at;
      }
    }
    let to = Math.min(text.length, from + EXCERPT);
    if (to < text.length) {
      const space = text.lastIndexOf(" ", to);
      if (space > from) to = space;
    }
    const p = document.createElement("p");
    p.className = "search-excerpt";
    if (from > 0) p.append("… ");
    appendMarked(p, text, matches(text, folded, map, queryWords, from, to), from, to);
    if (to < text.length) p.append(" …");
    return p;
  }

  function result(item, queryWords) {
    const entry = item.entry;
    const li = document.createElement("li");
    const heading = document.createElement("h2");
    const link = document.createElement("a");
    link.href = String(entry.url || "");
    link.append(markedTitle(item, queryWords));
    heading.append(link);
    li.append(heading);
    if (entry.date && entry.date_text) {
      const meta = document.createElement("p");
      meta.className = "post-meta";
      const time = document.createElement("time");
      time.dateTime = String(entry.date);
      time.textContent = String(entry.date_text);
      meta.append(time);
      li.append(meta);
    }
    if (entry.text) li.append(excerpt(item, queryWords));
    return li;
  }

  function say(text, withArchiveLink) {
    status.replaceChildren(...(text ? [text] : []));
    if (withArchiveLink) {
      const link = document.createElement("a");
      link.href = form.dataset.archive || "../archive/";
      link.textContent = "archive";
      status.append(" The ", link, " lists every post.");
    }
  }

  function show(query) {
    const queryWords = words(query);
    document.title = queryWords.length ? "“" + query.trim() + "” · " + pageTitle : pageTitle;
    list.replaceChildren();
    list.hidden = true;
    if (failed) {
      say("The search index could not be loaded (" + failed + "), so nothing can be searched.",
        true);
      return;
    }
    if (!queryWords.length) {
      say("");
      return;
    }
    if (entries === null) {
      say("Loading the search index…");
      return;
    }
    const found = search(query);
    const quoted = "“" + query.trim() + "”";
    if (!found.length) {
      say("Nothing matches " + quoted + ". Try fewer or shorter words.", true);
      return;
    }
    const count = found.length === 1 ? "1 result" : found.length + " results";
    say(found.length > SHOWN
      ? count + " for " + quoted + "; the " + SHOWN + " best are listed."
      : count + " for " + quoted + ".");
    const items = found.slice(0, SHOWN).map((f) => result(f.item, queryWords));
    list.append(...items);
    list.hidden = false;
  }

  function queryInUrl() {
    return new URLSearchParams(window.location.search).get("q") || "";
  }

  function urlFor(query) {
    const url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query);
    else url.searchParams.delete("q");
    return url.href;
  }

  /* Each search the reader makes is one entry of the history, so Back returns to the one
     before: its first change of the query adds the entry, later keystrokes keep it up to date,
     and a submit (or Back and Forward) ends it. */
  let searchEnded = true;
  function remember(query) {
    if (query !== queryInUrl()) {
      const url = urlFor(query);
      if (searchEnded) window.history.pushState(null, "", url);
      else window.history.replaceState(null, "", url);
      searchEnded = false;
    }
  }

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      remember(input.value);
      show(input.value);
    }, DELAY);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(timer);
    remember(input.value);
    searchEnded = true;
    show(input.value);
  });

  window.addEventListener("popstate", () => {
    window.clearTimeout(timer);
    searchEnded = true;
    input.value = queryInUrl();
    show(input.value);
  });

  input.value = queryInUrl();
  if (input.value) show(input.value);

  const parts = form.dataset.index.split(" ").filter((url) => url);
  Promise.all(parts.map((url) => fetch(url, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((part) => {
      if (!Array.isArray(part)) throw new Error("not a list of entries");
      return part;
    })))
    .then((loaded) => {
      const all = [].concat(...loaded).filter((e) => e && typeof e === "object");
      // The parts hold posts by their source path: back to the site's order, newest first,
      // then the pages (which have no date), so that equal scores list newer posts first.
      all.sort((a, b) => (b.date || "").localeCompare(a.date || "") ||
        String(a.url).localeCompare(String(b.url)));
      entries = all.map(prepare);
    })
    .catch((error) => {
      failed = error && error.message ? error.message : String(error);
    })
    .then(() => show(input.value));
})();
