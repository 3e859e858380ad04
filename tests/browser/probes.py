"""JavaScript measured inside the page: each constant is a function for ``page.evaluate``.

Every probe returns plain data (numbers, strings, lists) and decides nothing: the tests hold the
thresholds and the messages. Elements are described as a short CSS-like path so a failure says
where to look.
"""

_DESCRIBE = """
const describe = (el) => {
  const parts = [];
  for (let node = el; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
    let part = node.localName;
    if (node.id) { part += '#' + node.id; parts.unshift(part); break; }
    const cls = (node.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean);
    if (cls.length) part += '.' + cls.slice(0, 2).join('.');
    parts.unshift(part);
  }
  return parts.join(' > ');
};
"""

# Page width against viewport width; the elements that stick out of the page (not out of a
# scrolling box of their own) are named so a failure points at the culprit.
OVERFLOW = """() => {
%s
  const root = document.documentElement;
  const limit = root.clientWidth;
  const clipped = (el) => {
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow !== 'visible') return true;
    }
    return false;
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (rect.width > 0 && rect.right > limit + 0.5 && !clipped(el)) {
      culprits.push(describe(el) + ' right=' + Math.round(rect.right));
      if (culprits.length >= 5) break;
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: limit, culprits};
}""" % _DESCRIBE

# Every image (lazy ones forced to load) and video, and every inline SVG drawing with its text.
MEDIA = """async () => {
%s
  const settle = (promise) => Promise.race([promise, new Promise((r) => setTimeout(r, 15000))]);
  const images = [...document.images];
  for (const img of images) img.loading = 'eager';
  await settle(Promise.all(images.map((img) => img.decode().catch(() => null))));
  const videos = [...document.querySelectorAll('video')];
  await settle(Promise.all(videos.map((video) => video.readyState >= 1 ? null : new Promise((r) => {
    video.addEventListener('loadedmetadata', r, {once: true});
    video.addEventListener('error', r, {once: true});
    video.preload = 'metadata';
    video.load();
  }))));
  const drawings = [...document.querySelectorAll('main svg')].filter((svg) =>
    !svg.parentElement.closest('svg') && svg.getAttribute('aria-hidden') !== 'true');
  return {
    images: images.map((img) => ({src: img.currentSrc || img.src, where: describe(img),
                                  complete: img.complete, width: img.naturalWidth,
                                  height: img.naturalHeight})),
    videos: videos.map((v) => ({src: v.currentSrc || v.src, where: describe(v),
                                width: v.videoWidth, height: v.videoHeight})),
    drawings: drawings.map((svg) => {
      const box = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll('text')].filter((t) => {
        const b = t.getBBox();
        return t.textContent.trim() !== '' && b.width > 0 && b.height > 0;
      });
      return {where: describe(svg), width: box.width, height: box.height,
              texts: texts.map((t) => t.textContent.trim())};
    }),
  };
}""" % _DESCRIBE

# MathML layout: fractions stacked, `=` of aligned rows at one x, fences as tall as the tables
# they enclose, equation numbers ("(3)" alone in a row's last cell) at the right margin of the
# display's box. Written against MathML structure (mfrac, mtable > mtr > mtd, mo siblings), not
# against the math plugin's class names.
MATH = """async () => {
%s
  await document.fonts.ready;
  const visible = (r) => r.width > 0 && r.height > 0;
  const fractions = [];
  for (const frac of document.querySelectorAll('mfrac')) {
    const [num, den] = frac.children;
    if (!num || !den) continue;
    const a = num.getBoundingClientRect(), b = den.getBoundingClientRect();
    if (!visible(frac.getBoundingClientRect())) continue;
    fractions.push({where: describe(frac), text: frac.textContent.slice(0, 40),
                    numBottom: a.bottom, denTop: b.top,
                    overlap: Math.min(a.right, b.right) - Math.max(a.left, b.left)});
  }
  const firstLeaf = (cell) => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.children.length === 0 && node.textContent.trim() !== '') return node;
    }
    return null;
  };
  const alignments = [];
  const fences = [];
  const numbers = [];
  for (const table of document.querySelectorAll('mtable')) {
    const box = table.getBoundingClientRect();
    if (!visible(box)) continue;
    const rows = [...table.children].filter((r) => r.localName === 'mtr');
    const holder = table.closest('math').parentElement;
    for (const row of rows) {
      const last = [...row.children].filter((c) => c.localName === 'mtd').pop();
      const shown = last && last.firstElementChild;
      if (!shown || !/^\\(\\d+\\)$/.test(last.textContent.trim())) continue;
      const style = getComputedStyle(holder);
      const margin = holder.getBoundingClientRect().right - parseFloat(style.paddingRight)
        - parseFloat(style.borderRightWidth);
      numbers.push({where: describe(row), number: last.textContent.trim(),
                    right: shown.getBoundingClientRect().right, margin,
                    overflows: holder.scrollWidth > holder.clientWidth});
    }
    const columns = new Map();
    for (const row of rows) {
      [...row.children].filter((c) => c.localName === 'mtd').forEach((cell, index) => {
        const leaf = firstLeaf(cell);
        if (leaf && leaf.localName === 'mo' && leaf.textContent.trim() === '=') {
          if (!columns.has(index)) columns.set(index, []);
          columns.get(index).push(leaf.getBoundingClientRect().left);
        }
      });
    }
    for (const [column, xs] of columns) {
      if (xs.length >= 2) alignments.push({where: describe(table), column, xs,
                                           text: table.textContent.slice(0, 40)});
    }
    for (const side of [table.previousElementSibling, table.nextElementSibling]) {
      // a bracket from left/right (fence="true") must cover the table, stretchy or not
      if (side && side.localName === 'mo'
          && (side.getAttribute('stretchy') !== 'false' || side.getAttribute('fence') === 'true')
          && /^[\\[\\]()|{}\\u2016\\u27e8\\u27e9\\u230a\\u230b\\u2308\\u2309]$/.test(side.textContent.trim())) {
        fences.push({where: describe(table), fence: side.textContent.trim(), rows: rows.length,
                     fenceHeight: side.getBoundingClientRect().height, tableHeight: box.height});
      }
    }
  }
  return {fractions, alignments, fences, numbers,
          mathElements: document.querySelectorAll('math').length};
}""" % _DESCRIBE

# Contrast of every piece of visible text (HTML text and SVG <text>) against what is behind it,
# from computed styles: colours with alpha and opacity composited over the backgrounds of the
# ancestors (or, for SVG text, over the filled shape beneath it). Returns each failing run.
CONTRAST = """async () => {
%s
  await document.fonts.ready;
  const parse = (value) => {
    const rgb = /^rgba?\\(([^)]+)\\)$/.exec(value.trim());
    const srgb = /^color\\(srgb ([^)]+)\\)$/.exec(value.trim());  // what color-mix() computes to
    if (!rgb && !srgb) return null;
    const p = (rgb || srgb)[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    const scale = rgb ? 1 : 255;
    return {r: p[0] * scale, g: p[1] * scale, b: p[2] * scale, a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => {
    const a = top.a + bottom.a * (1 - top.a);
    if (a === 0) return {r: 0, g: 0, b: 0, a: 0};
    const mix = (x, y) => (x * top.a + y * bottom.a * (1 - top.a)) / a;
    return {r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a};
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (x, y) => {
    const [l1, l2] = [luminance(x), luminance(y)].sort((a, b) => b - a);
    return (l1 + 0.05) / (l2 + 0.05);
  };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const unparsable = [];
  const colour = (value, where) => {
    const c = parse(value);
    if (!c) unparsable.push(where + ': ' + value);
    return c;
  };
  const canvas = {r: 255, g: 255, b: 255, a: 1};
  const backdrop = (el) => {
    const layers = [];
    let opacity = 1;
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      opacity *= Number(style.opacity);
      const bg = colour(style.backgroundColor, describe(node));
      if (bg && bg.a > 0) layers.push(bg);
      if (bg && bg.a >= 1) break;
    }
    let colourBehind = canvas;
    for (const layer of layers.reverse()) colourBehind = over(layer, colourBehind);
    return {colour: colourBehind, opacity};
  };
  const svgBackdrop = (text) => {
    const box = text.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const below = document.elementsFromPoint(x, y);
    const svg = text.closest('svg');
    for (const el of below) {
      if (el === text || text.contains(el) || el.localName === 'text' || el.localName === 'tspan') continue;
      if (!svg.contains(el) || el === svg) break;
      const style = getComputedStyle(el);
      const painted = style.fill !== 'none' && !style.fill.startsWith('url(');
      const fill = painted ? colour(style.fill, describe(el)) : null;
      if (fill && fill.a > 0 && Number(style.fillOpacity) > 0) {
        const base = backdrop(svg).colour;
        return over({...fill, a: fill.a * Number(style.fillOpacity)}, base);
      }
    }
    return backdrop(svg).colour;
  };
  const failures = [];
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || node.textContent.trim() === '') continue;
    seen.add(el);
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    if (rects.length === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible') continue;
    const inSvg = el instanceof SVGElement;
    if (inSvg && el.localName !== 'text' && el.localName !== 'tspan' && el.localName !== 'textPath') continue;
    let fg;
    let behind;
    let opacity = 1;
    if (inSvg) {
      const textElement = el.closest('text');
      if (style.fill === 'none' || style.fill.startsWith('url(')) continue;  // outlines, gradients
      fg = colour(style.fill, describe(el));
      if (fg) fg = {...fg, a: fg.a * Number(style.fillOpacity)};
      behind = svgBackdrop(textElement);
      for (let n = el; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    } else {
      fg = colour(style.color, describe(el));
      const back = backdrop(el);
      behind = back.colour;
      opacity = back.opacity;
    }
    if (!fg) continue;
    checked += 1;
    const shown = over({...fg, a: fg.a * opacity}, behind);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const needed = large ? 3 : 4.5;
    const value = ratio(shown, behind);
    if (value < needed) {
      failures.push({where: describe(el), text: node.textContent.trim().slice(0, 30),
                     fg: hex(shown), bg: hex(behind), ratio: Math.round(value * 100) / 100, needed});
    }
  }
  return {checked, failures, unparsable: unparsable.slice(0, 5)};
}""" % _DESCRIBE

# The background a picture in a post is drawn on: opaque, and light enough for black text (what
# a figure made for white paper uses) at 4.5:1.
PICTURE_PAPER = """() => {
%s
  const pictures = [...document.querySelectorAll('main img')];
  return pictures.map((img) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(getComputedStyle(img).backgroundColor);
    const [r, g, b, a = 1] = m ? m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number) : [0, 0, 0, 0];
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    const lum = 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    return {where: describe(img), src: img.currentSrc, alpha: a, blackRatio: (lum + 0.05) / 0.05};
  });
}""" % _DESCRIBE

AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), html: n.html})),
  }));
}"""
