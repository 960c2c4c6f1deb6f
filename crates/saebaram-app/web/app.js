// saebaram app: the page. Plain JavaScript, no framework and no build step; every word
// comes from strings.json (inlined in index.html), Korean first.
(function () {
  'use strict';
  performance.mark('sb-start');

  var STRINGS = JSON.parse(document.getElementById('sb-strings').textContent);
  var lang = (function () {
    try { return localStorage.getItem('sb-lang') === 'en' ? 'en' : 'ko'; } catch (e) { return 'ko'; }
  })();
  var screens = {};
  var order = ['forecast', 'plan', 'drives', 'records'];
  var current = null;
  // What the tests read: when each screen became interactive, progress updates seen.
  var probe = window.saebaramApp = { lang: lang, ready: {}, updates: {}, screen: null };

  // ---------- words ----------

  function lookup(key, l) {
    var v = STRINGS[l];
    var parts = key.split('.');
    for (var i = 0; i < parts.length && v != null; i++) v = v[parts[i]];
    return typeof v === 'string' ? v : null;
  }
  function has(key) { return lookup(key, lang) != null; }
  function t(key, params) {
    var s = lookup(key, lang);
    if (s == null) s = key;
    if (params) {
      s = s.replace(/\{(\w+)\}/g, function (m, k) { return params[k] != null ? String(params[k]) : m; });
    }
    return s;
  }
  // The page's text of a server message: its code's text, else the English detail.
  function msgText(m) {
    if (!m) return '';
    if (m.code && has('msg.' + m.code)) return t('msg.' + m.code, m.params);
    return t('msg.internal') + (m.detail ? ' (' + m.detail + ')' : '');
  }

  // ---------- numbers and times ----------

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function ymdhm(d) {
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }
  // KST with UTC beside it: "2026-12-05 23:00 (KST) · 14:00 UTC".
  function kstUtc(x) {
    var ms = typeof x === 'number' ? x : Date.parse(x);
    if (!isFinite(ms)) return t('common.noData');
    var utc = new Date(ms);
    var kst = new Date(ms + 9 * 3600e3);
    var u = ymdhm(utc);
    var k = ymdhm(kst);
    // The UTC date only when it differs from the KST date.
    var uShort = u.slice(0, 10) === k.slice(0, 10) ? u.slice(11) : u;
    return t('common.kstUtc', { kst: k, utc: uShort });
  }
  function pct(p) {
    if (p == null || !isFinite(p)) return t('common.noData');
    var v = p * 100;
    return t('common.percent', { p: v > 0 && v < 1 ? v.toFixed(1) : Math.round(v) });
  }
  function bytes(n) {
    if (n == null) return t('common.noData');
    var u = ['B', 'KB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + u[i];
  }
  function duration(ms) {
    var s = Math.floor(ms / 1000);
    var m = Math.floor(s / 60);
    return m + ':' + pad(s % 60);
  }

  // ---------- DOM ----------

  // h('tag.class#id', {attrs}, children...): text children are escaped by the DOM.
  function h(spec, attrs) {
    var m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/.exec(spec) || [];
    var e = document.createElement(m[1] || 'div');
    (m[2] || '').replace(/([.#])([\w-]+)/g, function (_, kind, name) {
      if (kind === '.') e.classList.add(name); else e.id = name;
    });
    var kids = Array.prototype.slice.call(arguments, 2);
    if (attrs && (attrs.nodeType || typeof attrs !== 'object' || Array.isArray(attrs))) {
      kids.unshift(attrs);
      attrs = null;
    }
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else if (k in e && k !== 'list' && k !== 'form') e[k] = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    append(e, kids);
    return e;
  }
  function append(e, kids) {
    kids.forEach(function (c) {
      if (c == null || c === false) return;
      if (Array.isArray(c)) append(e, c);
      else e.appendChild(c.nodeType ? c : document.createTextNode(String(c)));
    });
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  // A message box in the page (role=alert for errors, so screen readers say it).
  function notice(kind, text, detail) {
    return h('div.notice.notice-' + kind, { role: kind === 'error' || kind === 'warning' ? 'alert' : 'status' },
      h('p', text),
      detail ? h('details', h('summary', t('common.details')), h('p.detail', detail)) : null);
  }
  function errorNotice(m) { return notice('error', msgText(m), m && m.detail); }

  // ---------- API ----------

  function ApiError(status, message) { this.status = status; this.message = message; }
  function request(method, path, body, type) {
    var opts = { method: method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      if (type) { opts.headers['Content-Type'] = type; opts.body = body; }
      else { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    }
    return fetch(path, opts).then(function (res) {
      var ct = res.headers.get('content-type') || '';
      var parse = ct.indexOf('json') >= 0 ? res.json() : res.text().then(function (x) { return { error: { code: 'internal', detail: x } }; });
      return parse.then(function (data) {
        if (!res.ok) throw new ApiError(res.status, (data && data.error) || { code: 'internal', detail: String(res.status) });
        return data;
      });
    }, function () {
      throw new ApiError(0, { code: 'server_gone', detail: '' });
    });
  }
  var api = {
    get: function (p) { return request('GET', p); },
    post: function (p, b) { return request('POST', p, b === undefined ? {} : b); },
    upload: function (p, file) { return request('POST', p, file, 'application/octet-stream'); }
  };
  function apiMessage(err) {
    if (err instanceof ApiError) {
      if (err.status === 0) return { code: 'server_gone', params: {}, detail: '' };
      return err.message;
    }
    return { code: 'internal', params: {}, detail: String(err) };
  }
  STRINGS.ko.msg.server_gone = STRINGS.ko.common.serverGone;
  STRINGS.en.msg.server_gone = STRINGS.en.common.serverGone;

  // ---------- jobs ----------

  // Follows a job's snapshots; calls onUpdate(snapshot) for each, onEnd(snapshot) once.
  function watchJob(id, onUpdate, onEnd) {
    var es = new EventSource('/api/jobs/' + id + '/events');
    var ended = false;
    probe.updates[id] = [];
    es.addEventListener('progress', function (ev) {
      var s = JSON.parse(ev.data);
      probe.updates[id].push({ at: performance.now(), done: s.done, version: s.version, elapsed: s.elapsed_ms });
      onUpdate(s);
      if (s.state !== 'running' && !ended) {
        ended = true;
        es.close();
        if (onEnd) onEnd(s);
      }
    });
    es.onerror = function () {
      if (ended) return;
      // The stream ends after the last snapshot; anything else is a lost server.
      api.get('/api/jobs/' + id).then(function (s) {
        if (s.state !== 'running' && !ended) { ended = true; es.close(); onUpdate(s); if (onEnd) onEnd(s); }
      }, function (err) {
        if (!ended) { ended = true; es.close(); onUpdate({ state: 'failed', error: apiMessage(err) }); if (onEnd) onEnd(null); }
      });
    };
    return { close: function () { ended = true; es.close(); } };
  }

  // A progress panel for a job: stage, bar, count, elapsed time, warnings, stop button.
  function progressPanel(opts) {
    var bar = h('progress', { max: 1, value: 0 });
    var label = h('p.progress-label', { 'aria-live': 'polite' }, t('common.working'));
    var elapsed = h('p.progress-elapsed', '');
    var warnings = h('div.progress-warnings');
    var stop = opts.cancellable ? h('button.secondary', { type: 'button', text: t('common.stop') }) : null;
    var panel = h('section.progress', { 'aria-label': t('common.working') }, label, bar, elapsed, warnings, stop);
    var job = null;
    if (stop) stop.addEventListener('click', function () { if (job) api.post('/api/jobs/' + job + '/cancel'); });
    return {
      el: panel,
      attach: function (id) { job = id; },
      update: function (s) {
        if (s.total > 0) { bar.max = s.total; bar.value = s.done; } else { bar.removeAttribute('value'); }
        label.textContent = opts.label ? opts.label(s) : t('common.working');
        elapsed.textContent = s.elapsed_ms != null ? t('common.elapsed', { time: duration(s.elapsed_ms) }) : '';
        clear(warnings);
        (s.warnings || []).forEach(function (w) { warnings.appendChild(notice('warning', msgText(w), w.detail)); });
        if (s.state && s.state !== 'running') {
          if (stop) stop.remove();
          if (s.state === 'done') { bar.max = 1; bar.value = 1; }
        }
      }
    };
  }

  // Starts a job (POST path with body) or, if one of its kind already runs (409 busy),
  // attaches to it and says so. cb(snapshot) on every update; end(snapshot) at the end.
  function startJob(path, body, box, panelOpts, end) {
    var panel = progressPanel(panelOpts);
    clear(box).appendChild(panel.el);
    function follow(id, note) {
      panel.attach(id);
      if (note) box.insertBefore(notice('info', note), panel.el);
      watchJob(id, panel.update, function (s) {
        if (s && s.state === 'failed') box.appendChild(errorNotice(s.error));
        if (s && s.state === 'cancelled') box.appendChild(notice('info', t('msg.cancelled')));
        if (end) end(s);
      });
    }
    return api.post(path, body).then(function (r) { follow(r.id); }, function (err) {
      var m = apiMessage(err);
      if (m.code === 'busy' && m.params && m.params.job) follow(m.params.job, msgText(m));
      else { clear(box).appendChild(errorNotice(m)); if (end) end(null); }
    });
  }

  // ---------- the frame: header, navigation, language ----------

  function renderHeader() {
    var top = clear(document.getElementById('top'));
    var nav = h('nav', { 'aria-label': t('nav.label') });
    order.forEach(function (id) {
      nav.appendChild(h('a', { href: '#' + id, 'aria-current': id === current ? 'page' : null, text: t('nav.' + id) }));
    });
    var switcher = h('button.lang', { type: 'button', lang: lang === 'ko' ? 'en' : 'ko', title: t('app.langSwitchTitle'), text: t('app.langSwitch') });
    switcher.addEventListener('click', function () {
      lang = lang === 'ko' ? 'en' : 'ko';
      probe.lang = lang;
      try { localStorage.setItem('sb-lang', lang); } catch (e) { /* private mode: the switch lasts for this page */ }
      document.documentElement.lang = lang;
      show(current, true);
    });
    top.appendChild(h('div.brand', h('span.logo', { 'aria-hidden': 'true' }, '🎈'), h('strong', t('app.name')), h('span.tagline', t('app.tagline'))));
    top.appendChild(nav);
    top.appendChild(switcher);
  }

  function show(id, keepFocus) {
    if (!screens[id]) id = order[0];
    var t0 = performance.now();
    if (current && screens[current].leave) screens[current].leave();
    current = id;
    probe.screen = id;
    document.title = t('nav.' + id) + ' · ' + t('app.name');
    renderHeader();
    var main = clear(document.getElementById('main'));
    var done = function () { probe.ready[id] = { at: performance.now(), ms: performance.now() - t0 }; };
    var r = screens[id].render(main, done);
    if (!r) done();
    if (!keepFocus) main.focus({ preventScroll: true });
  }

  window.addEventListener('hashchange', function () { show(location.hash.slice(1)); });

  // ---------- screens ----------

  screens.forecast = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('forecast.title')));
      main.appendChild(h('p.intro', t('forecast.intro')));
      ready();
      return true;
    }
  };
  screens.plan = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('plan.title')));
      main.appendChild(h('p.intro', t('plan.intro')));
      ready();
      return true;
    }
  };
  screens.drives = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('drives.title')));
      main.appendChild(h('p.intro', t('drives.intro')));
      ready();
      return true;
    }
  };
  screens.records = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('records.title')));
      main.appendChild(h('p.intro', t('records.intro')));
      ready();
      return true;
    }
  };

  // For the screens' own files (none yet) and the tests.
  probe.lib = { t: t, h: h, api: api, kstUtc: kstUtc, pct: pct, bytes: bytes, startJob: startJob, watchJob: watchJob, msgText: msgText };

  document.documentElement.lang = lang;
  show(location.hash.slice(1) || 'forecast', true);
  probe.firstPaintMs = performance.now();
})();
