// corgi serve — the web page's logic. Plain JS, no dependencies, works offline.
//
// Flow: pick an image (file, drop, paste or a bundled sample) → POST /v1/corgi/ask with
// {"image": data URL, "question", "stream": true} → read the text/event-stream body with
// fetch() + ReadableStream (EventSource cannot POST) → render each pipeline event as it
// arrives (docs/RESULTS.md "Streaming events"; docs/SERVER.md) → on `result`, fetch the
// run's trace.json and link its files.
//
// Boxes are normalized [x1, y1, x2, y2] (fractions of the image, origin top left), drawn as
// absolutely positioned divs over the <img> in percent, so they follow any resize.
// Colours follow annotated.png (src/pipeline/report/annotate.h): object green, text red,
// a step box without evidence blue, key evidence yellow.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const PHASES = ['reasoning', 'grounding', 'evidence', 'synthesis'];
  const KEY_STORAGE = 'corgi.apiKey';

  const els = {
    apiKey: $('api-key'), health: $('health'),
    input: $('image-input'), dropzone: $('dropzone'), dropHint: $('drop-hint'),
    stage: $('stage'), preview: $('preview'), overlay: $('overlay'), imageMeta: $('image-meta'),
    change: $('change-image'), samplesBox: $('samples-box'), samples: $('samples'),
    form: $('ask-form'), question: $('question'), ask: $('ask'), stop: $('stop'),
    optSteps: $('opt-max-steps'), optRegions: $('opt-max-regions'), optOcr: $('opt-ocr'),
    error: $('error'), empty: $('empty-state'), run: $('run'), runStatus: $('run-status'),
    timings: $('timings'), counts: $('counts'), links: $('links'),
    reportLink: $('report-link'), traceLink: $('trace-link'),
    annotatedLink: $('annotated-link'), resultsLink: $('results-link'),
    answerCard: $('answer-card'), answer: $('answer'), explanation: $('explanation'),
    synthStream: $('synthesis-stream'), keyEvidence: $('key-evidence'),
    cot: $('cot'), cotState: $('cot-state'), cotRawBox: $('cot-raw-box'), cotRaw: $('cot-raw'),
    steps: $('steps'), stepsCount: $('steps-count'), warnings: $('warnings'),
    evidence: $('evidence'), evidenceCount: $('evidence-count'),
    trace: $('trace'), traceCalls: $('trace-calls'), traceSummary: $('trace-summary'),
  };

  // ---------------------------------------------------------------- state
  let image = null;      // {dataUrl, name, width, height, el: HTMLImageElement}
  let run = null;        // the current run's state (see newRun)
  let controller = null; // AbortController of the request in flight
  const objectUrls = []; // blob: URLs to revoke on the next run

  function newRun() {
    return {
      phases: {},           // phase → {start: ms, ms: number|null}
      timer: null,
      reasoningRaw: '', synthesisRaw: '',
      steps: new Map(),     // index → Step (boxes updated by fallback_boxes/evidence)
      evidence: [], keyEvidence: [], warnings: [],
      answered: false, result: null, id: null, failed: false,
      started: performance.now(),
    };
  }

  // ---------------------------------------------------------------- helpers
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '';
    if (ms < 1) return ms.toFixed(2) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  }
  function apiKey() { return els.apiKey.value.trim(); }
  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    const k = apiKey();
    if (k) h['Authorization'] = 'Bearer ' + k;
    return h;
  }
  function boxKind(step) {
    if (!step) return 'neutral';
    if (step.type === 'text' || step.need_text_ocr) return 'text';
    if (step.type === 'object' || step.need_object_captioning) return 'object';
    return 'neutral';
  }
  function validBox(b) {
    return Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && isFinite(v)) &&
      b[2] > b[0] && b[3] > b[1];
  }
  function boxKey(b) { return b.map((v) => v.toFixed(4)).join(','); }
  function sameBox(a, b) { return validBox(a) && validBox(b) && boxKey(a) === boxKey(b); }
  function fmtBox(b) { return validBox(b) ? '[' + b.map((v) => v.toFixed(3)).join(', ') + ']' : ''; }

  async function errorFromResponse(res) {
    let msg = 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
    try {
      const text = await res.text();
      try {
        const j = JSON.parse(text);
        if (j && j.error) msg = (typeof j.error === 'string' ? j.error : (j.error.message || msg)) +
          ' (HTTP ' + res.status + ')';
      } catch (_) { if (text) msg += ': ' + text.slice(0, 300); }
    } catch (_) { /* body unreadable */ }
    if (res.status === 401 || res.status === 403) {
      msg += apiKey() ? ' — check the API key.' : ' — this server needs an API key (field at the top).';
    }
    return msg;
  }

  function showError(msg) {
    els.error.textContent = '';
    els.error.appendChild(el('strong', null, 'Error: '));
    els.error.appendChild(document.createTextNode(msg));
    els.error.hidden = false;
  }
  function clearError() { els.error.hidden = true; els.error.textContent = ''; }

  // ---------------------------------------------------------------- API key
  try { els.apiKey.value = localStorage.getItem(KEY_STORAGE) || ''; } catch (_) { /* storage off */ }
  els.apiKey.addEventListener('input', () => els.apiKey.classList.remove('attention'));
  els.apiKey.addEventListener('change', () => {
    try {
      if (apiKey()) localStorage.setItem(KEY_STORAGE, apiKey()); else localStorage.removeItem(KEY_STORAGE);
    } catch (_) { /* storage off */ }
    loadSamples();
  });

  // ---------------------------------------------------------------- health
  let healthTimer = null;
  async function checkHealth() {
    clearTimeout(healthTimer);
    try {
      const res = await fetch('/health', { cache: 'no-store' });
      let body = null;
      try { body = await res.json(); } catch (_) { /* not JSON */ }
      if (res.ok) {
        const model = body && (body.model || body.model_id || (body.models && body.models[0]));
        setHealth('ok', model ? 'ready · ' + shortName(String(model)) : 'ready',
          model ? String(model) : 'Model loaded');
        healthTimer = setTimeout(checkHealth, 30000);
      } else {
        setHealth('warn', res.status === 503 ? 'loading model…' : 'HTTP ' + res.status, '');
        healthTimer = setTimeout(checkHealth, 2000);
      }
    } catch (_) {
      setHealth('bad', 'offline', 'The server does not answer');
      healthTimer = setTimeout(checkHealth, 5000);
    }
  }
  function shortName(s) {
    const parts = s.split(/[\\/]/).filter(Boolean);
    return parts.length ? parts[parts.length - 1] : s;
  }
  function setHealth(kind, text, title) {
    els.health.className = 'pill pill-' + kind;
    els.health.textContent = text;
    els.health.title = title || '';
  }

  // ---------------------------------------------------------------- samples
  let lastSuggestion = null;  // the question a sample filled in (replaced by the next one)
  async function loadSamples() {
    try {
      const res = await fetch('/v1/corgi/samples', { headers: authHeaders(), cache: 'no-store' });
      if (!res.ok) { els.samplesBox.hidden = true; return; }
      const list = await res.json();
      if (!Array.isArray(list) || list.length === 0) { els.samplesBox.hidden = true; return; }
      els.samples.length = 1;
      for (const s of list) {
        if (!s || !s.url) continue;
        const o = el('option', null, s.name || s.url);
        o.value = s.url;
        if (typeof s.question === 'string') o.dataset.question = s.question;
        els.samples.appendChild(o);
      }
      els.samplesBox.hidden = els.samples.length <= 1;
    } catch (_) { els.samplesBox.hidden = true; }
  }
  els.samples.addEventListener('change', async () => {
    const url = els.samples.value;
    if (!url) return;
    try {
      const res = await fetch(url, { headers: authHeaders() });
      if (!res.ok) throw new Error(await errorFromResponse(res));
      const blob = await res.blob();
      const name = url.split('/').pop() || 'sample';
      await setImageFromBlob(blob, decodeURIComponent(name));
      // The sample's suggested question, unless the user typed one of their own.
      const option = els.samples.selectedOptions[0];
      const suggested = option && option.dataset.question;
      if (suggested && (!els.question.value.trim() || els.question.value === lastSuggestion)) {
        els.question.value = suggested;
        lastSuggestion = suggested;
      }
    } catch (e) { showError('Could not load the sample: ' + e.message); }
  });

  // ---------------------------------------------------------------- image
  function readAsDataUrl(blob) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(r.result);
      r.onerror = () => reject(r.error || new Error('could not read the file'));
      r.readAsDataURL(blob);
    });
  }
  async function setImageFromBlob(blob, name) {
    if (blob.type && !/^image\//.test(blob.type)) {
      showError('"' + name + '" is not an image (' + blob.type + ').');
      return;
    }
    const dataUrl = await readAsDataUrl(blob);
    const img = new Image();
    await new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new Error('the browser cannot decode "' + name + '"'));
      img.src = dataUrl;
    }).catch((e) => { showError(e.message); throw e; });
    clearError();
    image = { dataUrl, name, width: img.naturalWidth, height: img.naturalHeight, el: img };
    els.preview.src = dataUrl;
    els.stage.hidden = false;
    els.dropHint.hidden = true;
    els.change.hidden = false;
    els.dropzone.classList.add('has-image');
    els.imageMeta.textContent = name + ' · ' + img.naturalWidth + '×' + img.naturalHeight;
    els.overlay.textContent = '';
    if (run && !controller) {
      // A new image: the last run's results belong to the old one.
      resetRunView();
      run = null;
      stopTicker();
      els.run.hidden = true;
      els.empty.hidden = false;
    }
  }
  els.input.addEventListener('change', () => {
    const f = els.input.files && els.input.files[0];
    if (f) setImageFromBlob(f, f.name).catch(() => {});
  });
  ['dragenter', 'dragover'].forEach((t) => els.dropzone.addEventListener(t, (e) => {
    e.preventDefault();
    els.dropzone.classList.add('dragging');
  }));
  ['dragleave', 'drop'].forEach((t) => els.dropzone.addEventListener(t, (e) => {
    e.preventDefault();
    els.dropzone.classList.remove('dragging');
  }));
  els.dropzone.addEventListener('drop', (e) => {
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) setImageFromBlob(f, f.name).catch(() => {});
  });
  els.dropzone.addEventListener('click', (e) => {
    if (!image && e.target === els.dropzone) els.input.click();
  });
  els.dropzone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); els.input.click(); }
  });
  document.addEventListener('paste', (e) => {
    const items = (e.clipboardData && e.clipboardData.items) || [];
    for (const it of items) {
      if (it.kind === 'file' && /^image\//.test(it.type)) {
        const f = it.getAsFile();
        if (f) { e.preventDefault(); setImageFromBlob(f, f.name || 'pasted image').catch(() => {}); }
        return;
      }
    }
  });

  // ---------------------------------------------------------------- boxes over the image
  // One div per distinct (region, colour); labels of steps sharing a region are joined.
  function drawBoxes() {
    els.overlay.textContent = '';
    if (!run) return;
    const groups = new Map();
    const add = (box, kind, label, stepIdx) => {
      if (!validBox(box)) return;
      const k = kind + '|' + boxKey(box);
      let g = groups.get(k);
      if (!g) { g = { box, kind, labels: [], steps: [] }; groups.set(k, g); }
      if (!g.labels.includes(label)) g.labels.push(label);
      if (stepIdx) g.steps.push(stepIdx);
    };
    for (const step of run.steps.values()) {
      const kind = boxKind(step);
      const suffix = kind === 'text' ? ':T' : kind === 'object' ? ':O' : '';
      for (const b of step.boxes || []) add(b, kind, 'S' + step.index + suffix, step.index);
    }
    run.keyEvidence.forEach((k, i) => add(k.box, 'key', 'K' + (i + 1), 0));
    // Key evidence first (drawn underneath), then larger boxes under smaller ones.
    const list = Array.from(groups.values()).sort((a, b) => {
      if ((a.kind === 'key') !== (b.kind === 'key')) return a.kind === 'key' ? -1 : 1;
      return area(b.box) - area(a.box);
    });
    for (const g of list) {
      const [x1, y1, x2, y2] = g.box;
      const d = el('div', 'box box-' + g.kind);
      d.style.left = (x1 * 100) + '%';
      d.style.top = (y1 * 100) + '%';
      d.style.width = ((x2 - x1) * 100) + '%';
      d.style.height = ((y2 - y1) * 100) + '%';
      d.dataset.steps = g.steps.join(' ');
      const tag = el('span', 'box-tag', g.labels.join(' '));
      if (y1 < 0.06) tag.classList.add('inside');
      d.appendChild(tag);
      d.title = g.labels.join(' ') + ' ' + fmtBox(g.box);
      els.overlay.appendChild(d);
    }
  }
  function area(b) { return (b[2] - b[0]) * (b[3] - b[1]); }
  function highlightStep(idx, on) {
    for (const b of els.overlay.querySelectorAll('.box')) {
      const steps = (b.dataset.steps || '').split(' ');
      b.classList.toggle('hl', on && steps.includes(String(idx)));
      b.classList.toggle('dim', on && !steps.includes(String(idx)));
    }
    for (const c of document.querySelectorAll('[data-step]')) {
      if (c.classList.contains('box')) continue;
      c.classList.toggle('hl', on && c.dataset.step === String(idx));
    }
  }
  function hoverable(node, idx) {
    node.dataset.step = String(idx);
    node.addEventListener('mouseenter', () => highlightStep(idx, true));
    node.addEventListener('mouseleave', () => highlightStep(idx, false));
  }

  // ---------------------------------------------------------------- timings
  function renderTimings() {
    els.timings.textContent = '';
    if (!run) return;
    const now = performance.now();
    for (const p of PHASES) {
      const st = run.phases[p];
      const d = el('div', 'phase');
      let state = 'pending', val = '';
      if (st && st.ms !== null) { state = 'done'; val = fmtMs(st.ms); }
      else if (st) { state = controller ? 'active' : 'stopped'; val = fmtMs(now - st.start); }
      d.classList.add('phase-' + state);
      d.dataset.phase = p;
      d.appendChild(el('span', 'phase-name', p));
      d.appendChild(el('span', 'phase-ms', val || '—'));
      els.timings.appendChild(d);
    }
    const total = el('div', 'phase phase-total');
    const totalMs = run.totalMs !== undefined ? run.totalMs : now - run.started;
    total.appendChild(el('span', 'phase-name', 'total'));
    total.appendChild(el('span', 'phase-ms', fmtMs(totalMs)));
    els.timings.appendChild(total);
  }
  function startTicker() {
    stopTicker();
    run.timer = setInterval(renderTimings, 200);
  }
  function stopTicker() { if (run && run.timer) { clearInterval(run.timer); run.timer = null; } }

  // ---------------------------------------------------------------- chain of thought
  // The reasoning call writes "<THINKING>…</THINKING>\n<STRUCTURED_STEPS>{json}</STRUCTURED_STEPS>";
  // the thinking streams as prose, the JSON into a collapsed raw view.
  function renderCotStream() {
    const raw = run.reasoningRaw;
    const open = raw.indexOf('<THINKING>');
    const close = raw.indexOf('</THINKING>');
    let thinking, rest = '';
    if (close >= 0) {
      thinking = raw.slice(open >= 0 ? open + 10 : 0, close);
      rest = raw.slice(close + 11);
    } else if (open >= 0) {
      thinking = raw.slice(open + 10);
    } else {
      // Without tags the model may still be writing "<THINK…": hide a partial tag.
      thinking = /^<[A-Z_]*$/.test(raw) ? '' : raw;
    }
    if (!run.cotFinal) {
      els.cot.textContent = thinking.trim();
      els.cot.classList.add('streaming');
    }
    if (rest.trim()) {
      els.cotRawBox.hidden = false;
      els.cotRaw.textContent = rest.trim();
    }
  }

  // ---------------------------------------------------------------- steps
  function stepNode(step) {
    const li = el('li', 'step step-' + boxKind(step));
    li.id = 'step-' + step.index;
    hoverable(li, step.index);
    fillStep(li, step);
    return li;
  }
  function fillStep(li, step) {
    li.textContent = '';
    li.className = 'step step-' + boxKind(step);
    const kind = boxKind(step);
    const head = el('div', 'step-head');
    head.appendChild(el('span', 'badge badge-' + kind, 'S' + step.index));
    head.appendChild(el('span', 'step-type', kind === 'object' ? 'object · caption'
      : kind === 'text' ? 'text · OCR' : 'reasoning'));
    if (step.box_source && step.box_source !== 'none') {
      head.appendChild(el('span', 'step-source', 'box: ' + step.box_source.replace('_', ' ')));
    }
    li.appendChild(head);
    li.appendChild(el('p', 'step-statement', step.statement || ''));
    if (step.reason) li.appendChild(el('p', 'step-reason', step.reason));
    if (step.boxes && step.boxes.length) {
      li.appendChild(el('p', 'step-boxes mono', step.boxes.map(fmtBox).join('  ')));
    }
    const ev = run.evidence.filter((e) => e.step === step.index);
    if (ev.length) {
      const v = el('p', 'step-verdict');
      v.appendChild(el('span', 'check', '✓'));
      v.appendChild(document.createTextNode(' checked against ' + ev.length + ' evidence item' +
        (ev.length > 1 ? 's' : '')));
      li.appendChild(v);
    }
    for (const w of step.warnings || []) li.appendChild(el('p', 'step-warning', w));
  }
  function upsertStep(step) {
    const s = Object.assign({ boxes: [], warnings: [] }, step);
    s.boxes = (s.boxes || []).filter(validBox);
    run.steps.set(s.index, s);
    const existing = document.getElementById('step-' + s.index);
    if (existing) fillStep(existing, s);
    else {
      // Keep the list in index order whatever the arrival order.
      const li = stepNode(s);
      const after = Array.from(els.steps.children).find((c) => Number(c.id.slice(5)) > s.index);
      els.steps.insertBefore(li, after || null);
    }
    els.stepsCount.textContent = run.steps.size + (run.steps.size === 1 ? ' step' : ' steps');
    drawBoxes();
  }
  function addStepBoxes(idx, boxes) {
    const s = run.steps.get(idx);
    if (!s) return;
    let changed = false;
    for (const b of boxes || []) {
      if (validBox(b) && !s.boxes.some((x) => sameBox(x, b))) { s.boxes.push(b); changed = true; }
    }
    if (changed) upsertStep(s);
  }
  function addWarning(w) {
    run.warnings.push(w);
    const li = el('li', null, w.message || String(w));
    els.warnings.appendChild(li);
    if (w.step && run.steps.has(w.step)) {
      const s = run.steps.get(w.step);
      if (!s.warnings.includes(w.message)) { s.warnings.push(w.message); upsertStep(s); }
    }
  }

  // ---------------------------------------------------------------- evidence
  // The crop is cut here from the original at the evidence's crop_box (the region the
  // pipeline cut: the box grown and padded to the model's minimum input; for older
  // results, the box grown by crop_expand = 12.5% per side), so it appears at once and
  // needs no authenticated image request.
  function cropCanvas(box, expand) {
    const c = document.createElement('canvas');
    if (!image || !validBox(box)) return c;
    const W = image.width, H = image.height;
    const w = box[2] - box[0], h = box[3] - box[1];
    const x1 = Math.max(0, box[0] - w * expand), y1 = Math.max(0, box[1] - h * expand);
    const x2 = Math.min(1, box[2] + w * expand), y2 = Math.min(1, box[3] + h * expand);
    const sx = Math.floor(x1 * W), sy = Math.floor(y1 * H);
    const sw = Math.max(1, Math.ceil(x2 * W) - sx), sh = Math.max(1, Math.ceil(y2 * H) - sy);
    const scale = Math.min(1, 360 / Math.max(sw, sh));
    c.width = Math.max(1, Math.round(sw * scale));
    c.height = Math.max(1, Math.round(sh * scale));
    c.getContext('2d').drawImage(image.el, sx, sy, sw, sh, 0, 0, c.width, c.height);
    return c;
  }
  function addEvidence(ev) {
    run.evidence.push(ev);
    if (run.evidence.length === 1) els.evidence.textContent = '';
    const kind = ev.kind === 'text' ? 'text' : 'object';
    const card = el('div', 'evidence ev-' + kind);
    hoverable(card, ev.step);
    const crop = el('div', 'crop');
    crop.appendChild(validBox(ev.crop_box) ? cropCanvas(ev.crop_box, 0) : cropCanvas(ev.box, 0.125));
    card.appendChild(crop);
    const body = el('div', 'evidence-body');
    const head = el('div', 'evidence-head');
    head.appendChild(el('span', 'badge badge-' + kind, 'S' + ev.step + (kind === 'text' ? ':T' : ':O')));
    head.appendChild(el('span', 'evidence-kind', kind === 'text' ? 'text read' : 'caption'));
    const meta = [ev.engine];
    if (typeof ev.confidence === 'number') meta.push('conf ' + Math.round(ev.confidence * 100) + '%');
    if (ev.ms > 0) meta.push(fmtMs(ev.ms)); else if (ev.ms === 0) meta.push('reused');
    head.appendChild(el('span', 'evidence-meta muted small', meta.filter(Boolean).join(' · ')));
    body.appendChild(head);
    const step = run.steps.get(ev.step);
    if (step && step.statement) body.appendChild(el('p', 'evidence-claim', step.statement));
    const text = ev.text && ev.text.length ? ev.text
        : ev.error ? 'extraction failed: ' + ev.error : '(nothing read)';
    body.appendChild(el(kind === 'text' ? 'pre' : 'p', 'evidence-content' + (ev.text ? '' : ' muted'), text));
    card.appendChild(body);
    els.evidence.appendChild(card);
    els.evidenceCount.textContent = run.evidence.length + (run.evidence.length === 1 ? ' item' : ' items');
    if (step) {
      addStepBoxes(ev.step, [ev.box]);
      const li = document.getElementById('step-' + ev.step);
      if (li) fillStep(li, run.steps.get(ev.step));
    }
  }

  // ---------------------------------------------------------------- answer
  function renderAnswer(a) {
    run.answered = true;
    els.answerCard.hidden = false;
    els.synthStream.hidden = true;
    els.answer.textContent = a.answer || '';
    els.answer.classList.toggle('long', (a.answer || '').length > 80);
    els.answer.classList.toggle('muted', !a.answer);
    els.explanation.textContent = a.explanation || '';
  }
  function renderKeyEvidence(items) {
    run.keyEvidence = (items || []).filter((k) => k && validBox(k.box));
    els.keyEvidence.textContent = '';
    if (run.keyEvidence.length) {
      els.keyEvidence.appendChild(el('h3', null, 'Key evidence'));
      const ol = el('ol', 'key-list');
      run.keyEvidence.forEach((k, i) => {
        const li = el('li', 'key-item');
        li.appendChild(el('span', 'badge badge-key', 'K' + (i + 1)));
        const t = el('div');
        t.appendChild(el('p', 'key-desc', k.description || fmtBox(k.box)));
        if (k.reasoning) t.appendChild(el('p', 'key-reason muted small', k.reasoning));
        li.appendChild(t);
        li.addEventListener('mouseenter', () => toggleKey(i, true));
        li.addEventListener('mouseleave', () => toggleKey(i, false));
        ol.appendChild(li);
      });
      els.keyEvidence.appendChild(ol);
    }
    drawBoxes();
  }
  function toggleKey(i, on) {
    for (const b of els.overlay.querySelectorAll('.box')) {
      const isIt = b.classList.contains('box-key') &&
        b.querySelector('.box-tag').textContent.split(' ').includes('K' + (i + 1));
      b.classList.toggle('hl', on && isIt);
      b.classList.toggle('dim', on && !isIt);
    }
  }

  // ---------------------------------------------------------------- events
  function onEvent(type, data) {
    if (!run) return;
    switch (type) {
      case 'pipeline_start':
        els.runStatus.textContent = data.model ? 'model: ' + shortName(String(data.model)) : '';
        break;
      case 'phase_start':
        run.phases[data.phase] = { start: performance.now(), ms: null };
        els.runStatus.textContent = data.phase + '…';
        if (data.phase === 'synthesis') {
          els.answerCard.hidden = false;
          if (!run.answered) els.answer.textContent = '';
        }
        renderTimings();
        break;
      case 'phase_end':
        if (!run.phases[data.phase]) run.phases[data.phase] = { start: performance.now() };
        run.phases[data.phase].ms = typeof data.ms === 'number' ? data.ms : 0;
        if (data.phase === 'reasoning') finishCot();
        renderTimings();
        break;
      case 'delta':
        if (data.phase === 'reasoning') {
          run.reasoningRaw += data.text || '';
          renderCotStream();
        } else if (data.phase === 'synthesis') {
          run.synthesisRaw += data.text || '';
          if (!run.answered) {
            els.answerCard.hidden = false;
            els.synthStream.hidden = false;
            els.synthStream.textContent = run.synthesisRaw;
          }
        }
        break;
      case 'chain_of_thought':
        run.cotFinal = true;
        els.cot.classList.remove('streaming');
        els.cot.textContent = data.text || '';
        if (!data.text) els.cot.appendChild(el('span', 'muted small', '(the model wrote no chain of thought)'));
        break;
      case 'step':
        upsertStep(data);
        break;
      case 'fallback_boxes':
        addStepBoxes(data.step, data.boxes);
        break;
      case 'warning':
        addWarning(data);
        break;
      case 'evidence':
        addEvidence(data);
        break;
      case 'answer':
        renderAnswer(data);
        break;
      case 'key_evidence':
        renderKeyEvidence(data.items);
        break;
      case 'error':
        // The pipeline's {message}, or the server's {"error": {message, type, code}} when
        // the request fails after the stream began (deadline, cancellation, engine failure).
        run.failed = true;
        showError(data.message || (data.error && (data.error.message || String(data.error))) ||
          'the query failed');
        break;
      case 'pipeline_end':
        run.totalMs = data.ms;
        renderCounts(data.counts);
        if (data.error && !run.failed) { run.failed = true; showError(data.error); }
        break;
      case 'result':
        onResult(data);
        break;
      default:
        break; // unknown events are ignored, as docs/RESULTS.md asks of readers
    }
  }
  function finishCot() {
    els.cot.classList.remove('streaming');
    els.cotState.textContent = '';
  }
  function renderCounts(c) {
    if (!c) return;
    const parts = [];
    if (c.model_calls !== undefined) parts.push(c.model_calls + ' model calls');
    if (c.tokens_generated) parts.push(c.tokens_generated + ' tokens generated');
    if (c.fallback_groundings) parts.push(c.fallback_groundings + ' fallback groundings');
    if (c.images_from_cache) parts.push(c.images_from_cache + ' images from cache');
    if (c.prefix_tokens_reused) parts.push(c.prefix_tokens_reused + ' prompt tokens reused');
    els.counts.textContent = parts.join(' · ');
  }

  // The final results.json document: reconcile everything (it is the source of truth).
  function onResult(doc) {
    run.result = doc;
    run.id = doc.id || null;
    for (const s of doc.steps || []) upsertStep(s);
    if (run.evidence.length === 0 && (doc.evidence || []).length) doc.evidence.forEach(addEvidence);
    if (doc.chain_of_thought && !run.cotFinal) onEvent('chain_of_thought', { text: doc.chain_of_thought });
    if (!doc.error && (doc.answer || doc.explanation)) renderAnswer(doc);
    renderKeyEvidence(doc.key_evidence || []);
    for (const t of doc.timings || []) {
      if (t.phase === 'total') run.totalMs = t.ms;
      else run.phases[t.phase] = { start: 0, ms: t.ms };
    }
    if (doc.counts) renderCounts(doc.counts);
    if (doc.error && !run.failed) { run.failed = true; showError(doc.error); }
    const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
    const u = URL.createObjectURL(blob);
    objectUrls.push(u);
    els.resultsLink.href = u;
    if (run.id) linkRunFiles(run.id);
    else {
      // The server kept no files for this run: only the document itself can be saved.
      for (const a of [els.reportLink, els.traceLink, els.annotatedLink]) a.hidden = true;
      els.links.hidden = false;
      els.traceCalls.textContent = '';
      els.traceCalls.appendChild(el('p', 'muted small', 'The server kept no files for this run.'));
    }
  }

  function runUrl(id, file) { return '/v1/corgi/runs/' + encodeURIComponent(id) + '/' + file; }

  // Links to the run's files. Without a key they are plain URLs; with one, the files are
  // fetched with the Authorization header and linked as blob: URLs (a link cannot send it).
  async function linkRunFiles(id) {
    const r = run;
    els.links.hidden = false;
    const files = [[els.reportLink, 'report.html'], [els.annotatedLink, 'annotated.png']];
    for (const [a, f] of files) {
      a.href = runUrl(id, f);
      if (apiKey()) {
        a.removeAttribute('href');
        fetch(runUrl(id, f), { headers: authHeaders() }).then(async (res) => {
          if (!res.ok) { a.hidden = true; return; }
          const u = URL.createObjectURL(await res.blob());
          objectUrls.push(u);
          if (run === r) a.href = u;
        }).catch(() => { a.hidden = true; });
      }
    }
    els.traceLink.href = runUrl(id, 'trace.json');
    try {
      const res = await fetch(runUrl(id, 'trace.json'), { headers: authHeaders(), cache: 'no-store' });
      if (!res.ok) throw new Error(await errorFromResponse(res));
      const text = await res.text();
      if (run !== r) return;
      if (apiKey()) {
        const u = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
        objectUrls.push(u);
        els.traceLink.href = u;
      }
      renderTrace(JSON.parse(text));
    } catch (e) {
      if (run !== r) return;
      els.traceCalls.textContent = '';
      els.traceCalls.appendChild(el('p', 'muted small', 'No trace: ' + e.message));
      els.traceLink.hidden = true;
    }
  }

  // ---------------------------------------------------------------- trace
  function renderTrace(trace) {
    const calls = (trace && trace.calls) || [];
    els.traceCalls.textContent = '';
    els.traceSummary.textContent = calls.length + ' model call' + (calls.length === 1 ? '' : 's') +
      (trace.grounding_space ? ' · boxes in prompts: ' + trace.grounding_space : '');
    calls.forEach((c, i) => {
      const d = el('details', 'call call-' + (c.phase || 'other'));
      const s = el('summary');
      s.appendChild(el('span', 'call-n', '#' + (i + 1)));
      s.appendChild(el('span', 'call-phase', c.phase + (c.step ? ' · step ' + c.step : '')));
      const meta = [];
      if (c.prompt_tokens) meta.push(c.prompt_tokens + ' in');
      if (c.generated_tokens) meta.push(c.generated_tokens + ' out');
      if (c.finish_reason) meta.push(c.finish_reason);
      if (c.ms) meta.push(fmtMs(c.ms));
      s.appendChild(el('span', 'call-meta muted small', meta.join(' · ')));
      d.appendChild(s);
      const body = el('div', 'call-body');
      const section = (title, text, cls) => {
        body.appendChild(el('h4', null, title));
        body.appendChild(el('pre', 'io ' + (cls || ''), text));
      };
      if (c.images && c.images.length) body.appendChild(el('p', 'muted small', 'images: ' + c.images.join(', ')));
      section('Prompt', c.prompt || '');
      section('Raw output', c.raw_output || '', 'io-out');
      if (c.constraint) {
        let pretty = c.constraint;
        try { pretty = JSON.stringify(JSON.parse(c.constraint), null, 2); } catch (_) { /* keep */ }
        const cd = el('details', 'constraint');
        cd.appendChild(el('summary', null, 'Constraint (grammar)'));
        cd.appendChild(el('pre', 'io', pretty));
        body.appendChild(cd);
      }
      const extra = [];
      if (c.prefix_tokens_reused) extra.push(c.prefix_tokens_reused + ' prompt tokens from prefix cache');
      if (c.images_from_cache) extra.push(c.images_from_cache + ' images from vision cache');
      if (extra.length) body.appendChild(el('p', 'muted small', extra.join(' · ')));
      d.appendChild(body);
      els.traceCalls.appendChild(d);
    });
    if (!calls.length) els.traceCalls.appendChild(el('p', 'muted small', 'The trace has no calls.'));
  }

  // ---------------------------------------------------------------- SSE over fetch
  // Parses "event: X\ndata: Y\n\n" blocks (also \r\n); several data lines join with \n.
  async function readSse(res, onMessage) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder('utf-8');
    let buf = '';
    const flush = (block) => {
      let type = 'message';
      const data = [];
      for (const line of block.split(/\r?\n|\r/)) {
        if (!line || line[0] === ':') continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        let value = c < 0 ? '' : line.slice(c + 1);
        if (value[0] === ' ') value = value.slice(1);
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) onMessage(type, data.join('\n'));
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let m;
      while ((m = /\r?\n\r?\n|\r\r/.exec(buf))) {
        const block = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        flush(block);
      }
    }
    buf += decoder.decode();
    if (buf.trim()) flush(buf);
  }

  // ---------------------------------------------------------------- ask
  function resetRunView() {
    stopTicker();
    while (objectUrls.length) URL.revokeObjectURL(objectUrls.pop());
    run = newRun();
    clearError();
    els.empty.hidden = true;
    els.run.hidden = false;
    els.cot.textContent = '';
    els.cot.classList.add('streaming');
    els.cotState.textContent = '';
    els.cotRawBox.hidden = true;
    els.cotRaw.textContent = '';
    els.steps.textContent = '';
    els.stepsCount.textContent = '';
    els.warnings.textContent = '';
    els.evidence.textContent = '';
    els.evidence.appendChild(el('p', 'muted small placeholder', 'Waiting for the evidence phase…'));
    els.evidenceCount.textContent = '';
    els.answerCard.hidden = true;
    els.answerCard.classList.remove('ended');
    els.answer.textContent = '';
    els.explanation.textContent = '';
    els.synthStream.textContent = '';
    els.synthStream.hidden = true;
    els.keyEvidence.textContent = '';
    els.counts.textContent = '';
    els.links.hidden = true;
    for (const a of [els.reportLink, els.traceLink, els.annotatedLink]) { a.hidden = false; a.removeAttribute('href'); }
    els.trace.open = false;
    els.traceSummary.textContent = 'every model call\'s prompt and raw output';
    els.traceCalls.textContent = '';
    els.traceCalls.appendChild(el('p', 'muted small', 'Available when the run finishes.'));
    els.overlay.textContent = '';
    renderTimings();
  }

  function settings() {
    const s = {};
    const n = (v) => (v === '' ? null : Number(v));
    const steps = n(els.optSteps.value), regions = n(els.optRegions.value);
    if (steps !== null && isFinite(steps)) s.max_steps = Math.round(steps);
    if (regions !== null && isFinite(regions)) s.max_regions = Math.round(regions);
    if (els.optOcr.value) s.ocr = { engine: els.optOcr.value };
    return Object.keys(s).length ? s : null;
  }

  function setBusy(busy) {
    els.ask.disabled = busy;
    els.ask.textContent = busy ? 'Working…' : 'Ask';
    els.ask.classList.toggle('busy', busy);
    els.stop.hidden = !busy;
    document.body.classList.toggle('running', busy);
  }

  async function ask() {
    if (controller) return;
    const question = els.question.value.trim();
    if (!image) { showError('Choose an image first (drop one, pick a file, or a sample).'); return; }
    if (!question) { showError('Type a question.'); els.question.focus(); return; }
    resetRunView();
    const body = { image: image.dataUrl, question, stream: true };
    const s = settings();
    if (s) body.settings = s;
    controller = new AbortController();
    setBusy(true);
    startTicker();
    els.runStatus.textContent = 'sending…';
    const r = run;
    let gotResult = false;
    try {
      const res = await fetch('/v1/corgi/ask', {
        method: 'POST',
        headers: authHeaders({ 'Content-Type': 'application/json', 'Accept': 'text/event-stream' }),
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!res.ok) {
        const msg = await errorFromResponse(res);
        if (res.status === 401 || res.status === 403) {
          els.apiKey.classList.add('attention');
          els.apiKey.focus();
        }
        // Refused before any work: the empty run panel would only be noise.
        els.run.hidden = true;
        els.empty.hidden = false;
        throw new Error(msg);
      }
      els.apiKey.classList.remove('attention');
      const ctype = res.headers.get('Content-Type') || '';
      if (ctype.includes('application/json')) {
        // A server that answered without streaming: the results.json document.
        const doc = await res.json();
        gotResult = true;
        onResult(doc);
      } else {
        els.runStatus.textContent = 'waiting for the model…';
        await readSse(res, (type, raw) => {
          if (run !== r) return;
          let data;
          try { data = JSON.parse(raw); } catch (_) {
            console.warn('corgi: event ' + type + ' with unparsable data', raw.slice(0, 200));
            return;
          }
          if (type === 'result') gotResult = true;
          onEvent(type, data || {});
        });
      }
      if (!gotResult && !r.failed) throw new Error('the stream ended before the result arrived');
      els.runStatus.textContent = r.failed ? 'failed' : 'done';
    } catch (e) {
      if (e && e.name === 'AbortError') {
        els.runStatus.textContent = 'stopped';
      } else {
        r.failed = true;
        els.runStatus.textContent = 'failed';
        showError(e && e.message ? e.message : String(e));
      }
    } finally {
      controller = null;
      setBusy(false);
      if (run === r) { stopTicker(); finishCot(); renderTimings(); finalizeView(r); }
    }
  }

  // Placeholders that only make sense while the run is going.
  function finalizeView(r) {
    if (r.evidence.length === 0) {
      els.evidence.textContent = '';
      els.evidence.appendChild(el('p', 'muted small placeholder', r.phases.evidence
        ? 'No evidence: no step needed a region captioned or read.' : 'No evidence was gathered.'));
    }
    if (!r.answered) {
      els.answerCard.classList.add('ended');
      if (r.synthesisRaw) els.synthStream.hidden = false;
    }
    if (!els.cot.textContent && !r.reasoningRaw) els.cot.textContent = '—';
  }

  els.form.addEventListener('submit', (e) => { e.preventDefault(); ask(); });
  els.question.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); ask(); }
  });
  els.stop.addEventListener('click', () => { if (controller) controller.abort(); });

  // For tests and debugging: the last run's state.
  window.corgi = { get run() { return run; }, get image() { return image; } };

  checkHealth();
  loadSamples();
})();
