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
  var order = ['forecast', 'plan', 'convert', 'drives', 'records'];
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
        if (opts.extra) opts.extra(s);
        clear(warnings);
        (s.warnings || []).forEach(function (w) { warnings.appendChild(notice('warning', msgText(w), w.detail)); });
        if (s.state && s.state !== 'running') {
          if (stop) stop.remove();
          if (s.state === 'done') { bar.max = 1; bar.value = 1; }
          // A failed or stopped job's bar stands still where it was (never an endless animation).
          else if (!(s.total > 0)) { bar.max = 1; bar.value = 0; }
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
    top.appendChild(h('div.brand', h('strong', t('app.name')), h('span.tagline', t('app.tagline'))));
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

  // The forecast in use, shared by the Forecast and Plan screens.
  function loadForecast() { return api.get('/api/forecast'); }

  function ageText(ageS) {
    var hours = Math.max(0, Math.round(ageS / 3600));
    return hours >= 48 ? t('forecast.days', { n: Math.floor(hours / 24) }) : t('forecast.hours', { n: hours });
  }

  function forecastWarning(f) {
    if (f.embedded_sample) return notice('warning', t('forecast.sampleWarning'));
    if (f.age_s > 86400) return notice('warning', t('forecast.oldWarning', { age: ageText(f.age_s) }));
    return null;
  }

  var FETCH_MODELS = ['gfs', 'ecmwf', 'gefs', 'ecmwf_ens'];

  screens.forecast = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('forecast.title')));
      main.appendChild(h('p.intro', t('forecast.intro')));
      var status = h('section.card', { 'aria-busy': 'true' }, h('p.muted', t('common.loading')));
      main.appendChild(status);
      var importBox = h('div');
      var file = h('input#forecast-file', { type: 'file' });
      var importButton = h('button#forecast-import', { type: 'button', text: t('forecast.import') });
      main.appendChild(h('section.card',
        h('h2', t('forecast.import')),
        h('p.muted', t('forecast.importHelp')),
        h('div.row', h('label', { for: 'forecast-file' }, t('forecast.import'), file), importButton),
        importBox));
      // Fetching (only when this computer is online) and the forecasts saved here.
      var fetchBox = h('div#forecast-fetch-box');
      var model = select('forecast-model', FETCH_MODELS.map(function (m) { return [m, t('forecast.models.' + m)]; }), 'gfs');
      var hours = select('forecast-hours', [48, 72, 120, 240].map(function (n) {
        return [String(n), t('forecast.hoursAhead', { n: n, d: n / 24 })];
      }), '120');
      var fetchButton = h('button#forecast-fetch', { type: 'button', text: t('forecast.fetch') });
      main.appendChild(h('section.card',
        h('h2', t('forecast.fetch')),
        h('p.muted', t('forecast.fetchHelp')),
        h('div.row',
          h('label', { for: 'forecast-model' }, t('forecast.model'), model),
          h('label', { for: 'forecast-hours' }, t('forecast.range'), hours),
          fetchButton),
        fetchBox));
      var savedBox = h('section.card#forecast-saved', { 'aria-busy': 'true' }, h('h2', t('forecast.saved')), h('p.muted', t('common.loading')));
      main.appendChild(savedBox);
      function showSaved(list) {
        clear(savedBox).removeAttribute('aria-busy');
        savedBox.appendChild(h('h2', t('forecast.saved')));
        var rows = [{ name: null, what: t('forecast.builtin'), when: '2019', size: '' }];
        list.runs.forEach(function (r) {
          var ms = Date.parse(r.run);
          rows.push({ name: r.name, what: r.source + ' (' + r.run_name + ')',
            when: (isFinite(ms) ? kstUtc(ms) : r.run) + (r.last_step_h != null ? ' · ' + t('forecast.stepsTo', { h: r.last_step_h }) : ''),
            size: bytes(r.bytes) });
        });
        list.imported.forEach(function (r) {
          rows.push({ name: r.name, what: t('forecast.importedFile', { file: r.file }), when: '', size: bytes(r.bytes) });
        });
        var table = h('table.saved',
          h('thead', h('tr', h('th', t('forecast.file')), h('th', t('forecast.run')), h('th', t('forecast.size')), h('th', ''))));
        var body = h('tbody');
        rows.forEach(function (r) {
          var using = r.name === list.in_use || (r.name == null && list.in_use == null);
          var cell = using ? h('td', h('strong.in-use', t('forecast.inUse')))
            : h('td', h('button.secondary.use-forecast', { type: 'button', text: t('forecast.use'), 'data-name': r.name == null ? '' : r.name }));
          body.appendChild(h('tr' + (using ? '.chosen' : ''), h('td', r.what), h('td', r.when), h('td', r.size), cell));
        });
        table.appendChild(body);
        savedBox.appendChild(table);
        if (list.runs.length + list.imported.length === 0) savedBox.appendChild(h('p.muted', t('forecast.noneSaved')));
        list.unreadable.forEach(function (u) {
          savedBox.appendChild(notice('warning', t('forecast.unreadable', { file: u.file }), u.error));
        });
        Array.prototype.forEach.call(savedBox.querySelectorAll('button.use-forecast'), function (b) {
          b.addEventListener('click', function () {
            var name = b.getAttribute('data-name');
            b.disabled = true;
            api.post('/api/forecast/use', { name: name === '' ? null : name }).then(function (f) {
              showStatus(f);
              return refreshSaved();
            }, function (err) {
              b.disabled = false;
              savedBox.appendChild(errorNotice(apiMessage(err)));
            });
          });
        });
      }
      function refreshSaved() {
        return api.get('/api/forecast/saved').then(showSaved, function (err) {
          clear(savedBox).removeAttribute('aria-busy');
          savedBox.appendChild(errorNotice(apiMessage(err)));
        });
      }
      fetchButton.addEventListener('click', function () {
        fetchButton.disabled = true;
        startJob('/api/forecast/fetch', { model: model.value, hours: Number(hours.value) }, fetchBox, {
          cancellable: true,
          label: function (s) {
            if (s.state === 'failed') return t('forecast.fetchFailed');
            if (s.state === 'cancelled') return t('msg.cancelled');
            if (s.stage === 'fetching' && s.total > 0) return t('forecast.fetchingSteps', { done: s.done, total: s.total });
            return t('forecast.fetching');
          }
        }, function (s) {
          fetchButton.disabled = false;
          if (s && s.state === 'done') {
            api.get('/api/jobs/' + s.id + '/result').then(function (r) {
              fetchBox.appendChild(notice('ok', t('forecast.fetched', { run: r.fetched.run_name })));
              showStatus(r.status);
              refreshSaved();
            });
          }
        });
      });
      function showStatus(f) {
        clear(status).removeAttribute('aria-busy');
        status.appendChild(h('h2', t('forecast.loaded')));
        var warn = forecastWarning(f);
        if (warn) { warn.classList.add('loud'); status.appendChild(warn); }
        else status.appendChild(notice('ok', t('forecast.fresh')));
        var sum = f.summary;
        var covers = f.steady
          ? t('forecast.steady')
          : kstUtc(f.valid_from_unix_s * 1000) + ' – ' + kstUtc(f.valid_to_unix_s * 1000);
        status.appendChild(h('dl.kv',
          h('dt', t('forecast.source')), h('dd#forecast-source', sum.source),
          h('dt', t('forecast.run')), h('dd', kstUtc(f.run_unix_s * 1000), ' · ', t('forecast.age', { age: ageText(f.age_s) })),
          h('dt', t('forecast.covers')), h('dd', covers),
          h('dt', t('forecast.file')), h('dd.muted', f.embedded_sample ? t('forecast.builtin') : sum.origin),
          h('dt', t('forecast.credit')), h('dd.muted', sum.credit)));
      }
      importButton.addEventListener('click', function () {
        var f = file.files && file.files[0];
        clear(importBox);
        if (!f) { importBox.appendChild(notice('error', t('forecast.chooseFile'))); return; }
        importButton.disabled = true;
        importBox.appendChild(h('p.progress-label', { role: 'status' }, t('forecast.importing')));
        api.upload('/api/forecast/import?name=' + encodeURIComponent(f.name), f).then(function (r) {
          clear(importBox).appendChild(notice('ok', t('forecast.imported')));
          showStatus(r);
          refreshSaved();
        }, function (err) {
          clear(importBox).appendChild(errorNotice(apiMessage(err)));
        }).then(function () { importButton.disabled = false; });
      });
      Promise.all([loadForecast().then(showStatus, function (err) {
        clear(status).removeAttribute('aria-busy');
        status.appendChild(errorNotice(apiMessage(err)));
      }), refreshSaved()]).then(ready);
      return true;
    }
  };

  // ---------- plan ----------

  var SITES = ['paju', 'gimpo', 'ganghwa', 'yeoncheon', 'pocheon', 'cheorwon', 'baengnyeong'];
  var PRESETS = ['slack-tube', 'ffnk-tube', 'ffnk-3stage', 'crok-dispenser', 'usb-packets', 'sack', 'standard'];
  var TARGETS = ['north', 'city:Pyongyang:40', 'city:Kaesong:20', 'city:Haeju:20', 'city:Sariwon:20', 'city:Wonsan:30'];
  // The last form, kept while the page lives (switching screens keeps what was typed).
  var planForm = null;

  // "2019-06-05T09:00" typed as Korea time <-> UNIX seconds.
  function kstInput(unixS) { return new Date(unixS * 1000 + 9 * 3600e3).toISOString().slice(0, 16); }
  function fromKstInput(v) { var ms = Date.parse(v + ':00Z'); return isFinite(ms) ? ms / 1000 - 9 * 3600 : null; }

  function select(id, options, value) {
    var s = h('select#' + id);
    options.forEach(function (o) { s.appendChild(h('option', { value: o[0], selected: o[0] === String(value) }, o[1])); });
    return s;
  }

  screens.plan = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('plan.title')));
      main.appendChild(h('p.intro', t('plan.intro')));
      var warnBox = h('div');
      main.appendChild(warnBox);
      var formBox = h('form.card#plan-form', { novalidate: true });
      var jobBox = h('div#plan-job');
      var resultBox = h('div#plan-result');
      main.appendChild(formBox);
      main.appendChild(jobBox);
      main.appendChild(resultBox);
      var pending = 2;
      function oneReady() { if (--pending === 0) ready(); }

      loadForecast().then(function (f) {
        var w = forecastWarning(f);
        if (w) warnBox.appendChild(w);
        buildForm(f);
      }, function (err) {
        warnBox.appendChild(errorNotice(apiMessage(err)));
        buildForm(null);
      }).then(oneReady);

      function buildForm(f) {
        var from = f ? f.valid_from_unix_s : null;
        var to = f ? (f.steady ? from + 23 * 3600 : Math.min(from + 23 * 3600, f.valid_to_unix_s)) : null;
        var v = planForm || { sites: ['paju'], preset: 'slack-tube', target: 'north', from: from, to: to, every: 3600, members: 200, seed: 1 };
        var sites = h('fieldset', h('legend', t('plan.sites')),
          h('div.checks', SITES.map(function (s) {
            return h('label', h('input', { type: 'checkbox', name: 'site', value: s, checked: v.sites.indexOf(s) >= 0 }), t('plan.siteNames.' + s));
          })));
        var preset = select('plan-preset', PRESETS.map(function (p) { return [p, t('plan.presets.' + p)]; }), v.preset);
        var target = select('plan-target', TARGETS.map(function (x) { return [x, t('plan.targets.' + x)]; }), v.target);
        var fromIn = h('input#plan-from', { type: 'datetime-local', value: v.from != null ? kstInput(v.from) : '' });
        var toIn = h('input#plan-to', { type: 'datetime-local', value: v.to != null ? kstInput(v.to) : '' });
        var every = select('plan-every', [1, 2, 3, 6].map(function (n) { return [String(n * 3600), t('plan.everyHours', { n: n })]; }), v.every);
        var members = select('plan-members', [50, 100, 200, 400].map(function (n) { return [String(n), String(n)]; }), v.members);
        var seed = h('input#plan-seed', { type: 'number', min: 0, step: 1, value: v.seed });
        var run = h('button#plan-run', { type: 'submit', text: t('plan.run') });
        var formError = h('div');
        append(formBox, [sites,
          h('div.row', h('label', { for: 'plan-preset' }, t('plan.preset'), preset), h('label', { for: 'plan-target' }, t('plan.target'), target)),
          h('div.row', h('label', { for: 'plan-from' }, t('plan.from'), fromIn), h('label', { for: 'plan-to' }, t('plan.to'), toIn),
            h('label', { for: 'plan-every' }, t('plan.every'), every), h('label', { for: 'plan-members' }, t('plan.members'), members),
            h('label', { for: 'plan-seed' }, t('plan.seed'), seed)),
          h('div.row', run), formError]);
        formBox.addEventListener('submit', function (ev) {
          ev.preventDefault();
          clear(formError);
          var chosen = Array.prototype.filter.call(formBox.querySelectorAll('input[name=site]'), function (c) { return c.checked; })
            .map(function (c) { return c.value; });
          planForm = {
            sites: chosen, preset: preset.value, target: target.value, from: fromIn.value ? fromKstInput(fromIn.value) : null,
            to: toIn.value ? fromKstInput(toIn.value) : null, every: Number(every.value), members: Number(members.value),
            seed: Math.max(0, Math.floor(Number(seed.value) || 0))
          };
          if (!chosen.length) { formError.appendChild(notice('error', t('plan.noSite'))); return; }
          runPlan({
            sites: planForm.sites, preset: planForm.preset, target: planForm.target, from_unix_s: planForm.from,
            to_unix_s: planForm.to, every_s: planForm.every, members: planForm.members, seed: planForm.seed
          });
        });
      }

      function runPlan(body) {
        clear(resultBox);
        startJob('/api/plan', body, jobBox, { cancellable: true, label: planLabel }, showResult);
      }

      // A plan started in another tab, or before this one was opened: show it.
      api.get('/api/session').then(function (sess) {
        var plans = sess.jobs.filter(function (j) { return j.kind === 'plan'; });
        var last = plans[plans.length - 1];
        if (last) attach(last);
      }).then(oneReady, oneReady);

      function attach(s) {
        var panel = progressPanel({ cancellable: true, label: planLabel });
        clear(jobBox).appendChild(panel.el);
        panel.attach(s.id);
        panel.update(s);
        watchJob(s.id, panel.update, function (end) {
          if (end && end.state === 'failed') jobBox.appendChild(errorNotice(end.error));
          if (end && end.state === 'cancelled') jobBox.appendChild(notice('info', t('msg.cancelled')));
          showResult(end);
        });
      }

      function showResult(s) {
        if (!s || s.state !== 'done') return;
        api.get('/api/jobs/' + s.id + '/result').then(function (r) { renderPlanResult(resultBox, s, r); },
          function (err) { resultBox.appendChild(errorNotice(apiMessage(err))); });
      }
      return true;
    }
  };

  function planLabel(s) {
    var site = s.part ? siteName(s.part.label) : '';
    var parts = s.part && s.part.count > 1 ? ' (' + (s.part.index + 1) + '/' + s.part.count + ')' : '';
    if (s.state === 'done') return t('common.done');
    if (s.stage === 'flights') return site + parts + ': ' + t('plan.running', { done: s.done, total: s.total });
    return site + parts + (site ? ': ' : '') + t('common.working');
  }

  function siteName(key) {
    var k = String(key || '').toLowerCase();
    return has('plan.siteNames.' + k) ? t('plan.siteNames.' + k) : key;
  }

  // The plan of every chosen site (their windows ranked together, as `plan --site a,b`):
  // the ranked table, a launch time to choose and keep in the records, and the map.
  function renderPlanResult(box, snap, r) {
    clear(box);
    var windows = r.windows || [];
    // Rows best first: the plan's own ranks (windows over the heavy-fall limit rank last).
    var rows = windows.map(function (w, i) { return { i: i, w: w }; });
    rows.sort(function (a, b) { return a.w.rank - b.w.rank; });
    probe.plan = { job: snap.id, rows: rows.length, at: performance.now() };
    box.appendChild(h('h2', t('plan.results')));
    if (!rows.length || rows[0].w.p_target <= 0) box.appendChild(notice('warning', t('plan.noWindow')));
    var best = rows[0];
    if (best) {
      box.appendChild(h('p.summary#plan-summary', t('plan.summary', { members: r.members, north: Math.round(best.w.p_north * r.members) })));
    }
    var chosen = r.best != null ? r.best : (best ? best.i : null);
    var table = h('table#plan-table',
      h('caption.muted', t('plan.forecastUsed', { source: r.forecast ? r.forecast.source : '' })),
      h('thead', h('tr',
        h('th', { scope: 'col' }, t('plan.pick')),
        h('th.num', { scope: 'col' }, t('plan.rank')), h('th', { scope: 'col' }, t('plan.when')), h('th', { scope: 'col' }, t('plan.site')),
        h('th.num', { scope: 'col' }, t('plan.pTarget')), h('th.num', { scope: 'col' }, t('plan.pNorth')),
        h('th.num', { scope: 'col' }, t('plan.pSouth')), h('th.num', { scope: 'col' }, t('plan.pDmz')), h('th.num', { scope: 'col' }, t('plan.pSea')),
        h('th.num', { scope: 'col' }, t('plan.distance')), h('th', { scope: 'col' }, t('plan.risk')))));
    var body = h('tbody');
    var shown = rows.slice(0, 30);
    // The chosen window stays in the table even when it ranks below the first 30.
    if (chosen != null && !shown.some(function (row) { return row.i === chosen; })) {
      shown.push(rows.filter(function (row) { return row.i === chosen; })[0]);
    }
    shown.forEach(function (row) {
      var w = row.w;
      var risk = w.p_heavy_over_populated_rok > 0 ? t('plan.riskTown', { p: pct(w.p_heavy_over_populated_rok) })
        : w.p_heavy_rok > 0 ? t('plan.riskSouth', { p: pct(w.p_heavy_rok) }) : t('plan.riskNone');
      var pick = h('input', { type: 'radio', name: 'plan-pick', value: String(row.i), checked: row.i === chosen,
        'aria-label': t('plan.pickLabel', { site: siteName(w.site), when: kstUtc(w.launch_time) }) });
      pick.addEventListener('change', function () { if (pick.checked) choose(row.i); });
      body.appendChild(h('tr', { 'data-window': row.i, 'data-site': w.site },
        h('td', pick),
        h('td.num', String(w.rank)), h('td', kstUtc(w.launch_time)), h('td.site', siteName(w.site)),
        h('td.num.p-target', pct(w.p_target)), h('td.num.p-north', pct(w.p_north)), h('td.num', pct(w.p_south)),
        h('td.num', pct(w.p_dmz)), h('td.num', pct(w.p_sea)),
        h('td.num', w.median_distance_km == null ? t('common.noData') : Math.round(w.median_distance_km) + ' km'),
        h('td' + (w.p_heavy_rok > 0 ? '.risk' : ''), risk)));
    });
    table.appendChild(body);
    box.appendChild(h('div.tablewrap', table));
    if (rows.length > shown.length) box.appendChild(h('p.muted', t('plan.more', { n: rows.length - shown.length })));

    // The chosen launch time, kept in the records (they must be open).
    var record = h('button#plan-record', { type: 'button', text: t('plan.record') });
    var chosenText = h('p#plan-chosen');
    var recordBox = h('div#plan-record-box');
    append(box, [h('section.card#plan-pick', h('p.muted', t('plan.pickHelp')), chosenText, h('div.row', record), recordBox)]);
    function choose(i) {
      chosen = i;
      var w = windows[i];
      clear(recordBox);
      chosenText.textContent = w ? t('plan.pickLabel', { site: siteName(w.site), when: kstUtc(w.launch_time) }) : '';
      record.disabled = !w;
      probe.plan.chosen = i;
      showInMap();
    }
    // The map in its frame shows the chosen launch time (`MAP_SELECT_SCRIPT`, routes.rs).
    var frame = null;
    function showInMap() {
      if (frame && frame.contentWindow && chosen != null) frame.contentWindow.postMessage({ selectWindow: chosen }, '*');
    }
    choose(chosen);
    record.addEventListener('click', function () {
      clear(recordBox);
      if (chosen == null) return;
      api.post('/api/plan/record', { job: snap.id, window: chosen }).then(function (rec) {
        recordBox.appendChild(notice('ok', t('plan.recorded', { site: siteName(rec.site), when: kstUtc(rec.launch_time) })));
        probe.plan.recorded = rec;
      }, function (err) { recordBox.appendChild(errorNotice(apiMessage(err))); });
    });

    // The map: saebaram-map's page of the whole plan in a sandboxed frame.
    var src = '/api/jobs/' + snap.id + '/map?lang=' + lang;
    frame = h('iframe.mapframe#plan-mapframe', { src: src, title: t('plan.map'), sandbox: 'allow-scripts allow-downloads' });
    frame.addEventListener('load', showInMap);
    append(box, [h('section#plan-map', h('h2', t('plan.map')), h('p.muted', t('plan.mapHelp')),
      frame,
      h('div.row', h('a.button.secondary#plan-save', { href: src + '&download=1', download: '' }, t('plan.saveMap'))))]);
  }

  // ---------- convert: videos for old players (`saebaram convert`) ----------

  var convertForm = { input: '', out: '', profile: 'notel', subtitles: 'burn', profile_file: '', ffmpeg: '', font_dir: '', ascii_names: false };
  var CONVERT_PROFILES = ['notel', 'dvd', 'pc', 'audio'];

  function convertLabel(s) {
    if (s.state === 'done') return t('common.done');
    return t('convert.running') + (s.total > 0 ? ' ' + pct(s.done / s.total) : '');
  }

  function renderConvertResult(box, r) {
    clear(box);
    var sum = r.summary;
    probe.convert = { converted: sum.converted, kept: sum.kept, failed: sum.failed, passed: sum.passed, blocked: r.blocked.length, out: r.out };
    box.appendChild(h('h2', t('convert.result')));
    box.appendChild(h('ul.counts#convert-counts',
      h('li', t('convert.converted', { n: sum.converted + sum.kept })),
      h('li', t('convert.passed', { n: sum.passed })),
      sum.failed > 0 ? h('li.risk', t('convert.failed', { n: sum.failed })) : null,
      r.blocked.length ? h('li.risk', t('drives.blocked', { n: r.blocked.length })) : null));
    var failed = r.files.filter(function (f) { return f.status === 'failed'; });
    if (failed.length) {
      box.appendChild(h('div.tablewrap', h('table#convert-failed',
        h('thead', h('tr', h('th', { scope: 'col' }, t('drives.files')), h('th', { scope: 'col' }, t('common.details')))),
        h('tbody', failed.map(function (f) { return h('tr', h('td.path', f.input), h('td.muted.detail', f.error || '')); })))));
    }
    if (r.blocked.length) {
      box.appendChild(h('div.tablewrap', h('table#convert-blocked',
        h('tbody', r.blocked.map(function (b) { return h('tr', h('td.path', b[0]), h('td.muted.detail', b[1])); })))));
    }
    (r.warnings || []).forEach(function (w) { box.appendChild(notice('warning', w)); });
    var use = h('button#convert-use', { type: 'button', text: t('convert.useAsLibrary') });
    use.addEventListener('click', function () {
      drivesForm.library = r.out;
      location.hash = '#drives';
    });
    box.appendChild(h('p', t('convert.outIs', { out: r.out })));
    if (r.manifest_written) box.appendChild(h('div.row', use));
  }

  screens.convert = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('convert.title')));
      main.appendChild(h('p.intro', t('convert.intro')));
      var input = h('input#convert-input', { type: 'text', value: convertForm.input, autocomplete: 'off', spellcheck: false });
      var out = h('input#convert-out', { type: 'text', value: convertForm.out, autocomplete: 'off', spellcheck: false });
      var inPick = folderPicker(input), outPick = folderPicker(out);
      var profile = select('convert-profile', CONVERT_PROFILES.map(function (p) { return [p, t('convert.profiles.' + p)]; }), convertForm.profile);
      var subs = select('convert-subtitles', ['burn', 'soft', 'none'].map(function (x) { return [x, t('convert.subtitles.' + x)]; }), convertForm.subtitles);
      var run = h('button#convert-run', { type: 'submit', text: t('convert.run') });
      // Advanced choices, as the CLI's options: closed unless one is set.
      function pathInput(id, value) { return h('input#' + id, { type: 'text', value: value || '', autocomplete: 'off', spellcheck: false }); }
      var profileFile = pathInput('convert-profile-file', convertForm.profile_file);
      var ffmpeg = pathInput('convert-ffmpeg', convertForm.ffmpeg);
      var fontDir = pathInput('convert-font-dir', convertForm.font_dir);
      var profilePick = folderPicker(profileFile, { files: true }), ffmpegPick = folderPicker(ffmpeg, { files: true }),
        fontPick = folderPicker(fontDir);
      var ascii = h('input#convert-ascii', { type: 'checkbox', checked: !!convertForm.ascii_names, 'aria-describedby': 'convert-ascii-help' });
      var advanced = h('details#convert-advanced', { open: !!(convertForm.profile_file || convertForm.ffmpeg || convertForm.font_dir || convertForm.ascii_names) },
        h('summary', t('convert.advanced')),
        h('div.row', h('label.wide', { for: 'convert-profile-file' }, t('convert.profileFile'), profileFile), profilePick.button),
        h('p.muted', t('convert.profileFileHelp')), profilePick.panel,
        h('div.row', h('label.wide', { for: 'convert-ffmpeg' }, t('convert.ffmpeg'), ffmpeg), ffmpegPick.button),
        h('p.muted', t('convert.ffmpegHelp')), ffmpegPick.panel,
        h('div.row', h('label.wide', { for: 'convert-font-dir' }, t('convert.fontDir'), fontDir), fontPick.button),
        h('p.muted', t('convert.fontDirHelp')), fontPick.panel,
        h('label.check', { for: 'convert-ascii' }, ascii, ' ', t('convert.ascii')),
        h('p.muted#convert-ascii-help', t('convert.asciiHelp')));
      var form = h('form.card#convert-form', { novalidate: true },
        h('div.row', h('label.wide', { for: 'convert-input' }, t('convert.input'), input), inPick.button), inPick.panel,
        h('div.row', h('label.wide', { for: 'convert-out' }, t('convert.out'), out), outPick.button), outPick.panel,
        h('div.row', h('label', { for: 'convert-profile' }, t('convert.profile'), profile),
          h('label', { for: 'convert-subtitles' }, t('convert.subtitlesLabel'), subs)),
        advanced,
        h('div.row', run));
      var jobBox = h('div#convert-job');
      var resultBox = h('section#convert-result');
      append(main, [form, jobBox, resultBox]);
      var opts = { cancellable: true, label: convertLabel };
      function showResult(s) {
        if (!s || s.state !== 'done') return;
        api.get('/api/jobs/' + s.id + '/result').then(function (r) { renderConvertResult(resultBox, r); },
          function (err) { resultBox.appendChild(errorNotice(apiMessage(err))); });
      }
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        clear(resultBox);
        convertForm = { input: input.value.trim(), out: out.value.trim(), profile: profile.value, subtitles: subs.value,
          profile_file: profileFile.value.trim(), ffmpeg: ffmpeg.value.trim(), font_dir: fontDir.value.trim(), ascii_names: ascii.checked };
        startJob('/api/convert', convertForm, jobBox, opts, showResult);
      });
      // A conversion started earlier (another tab, or before a reload): show it.
      api.get('/api/session').then(function (sess) {
        var jobs = sess.jobs.filter(function (j) { return j.kind === 'convert'; });
        var last = jobs[jobs.length - 1];
        if (last) attachJob(last, jobBox, opts, showResult);
      }).then(ready, ready);
      return true;
    }
  };

  // ---------- drives: library -> clean report -> drives -> confirm -> flash ----------

  // What was typed and whether an image is ready, kept while the page lives.
  var drivesForm = { library: '', forbid: '', exclude: '', shrink: false, imageReady: false };

  // Follows a job that is already known (started in another tab, or before a reload).
  function attachJob(s, box, panelOpts, end) {
    var panel = progressPanel(panelOpts);
    clear(box).appendChild(panel.el);
    panel.attach(s.id);
    panel.update(s);
    watchJob(s.id, panel.update, function (e) {
      if (e && e.state === 'failed') box.appendChild(errorNotice(e.error));
      if (e && e.state === 'cancelled') box.appendChild(notice('info', t('msg.cancelled')));
      if (end) end(e);
    });
  }

  function prepareLabel(s) {
    if (s.state === 'done') return t('common.done');
    var pctText = s.total > 0 ? ' ' + pct(s.done / s.total) : '';
    if (s.stage === 'cleaning') return t('drives.cleaning') + pctText + (s.total > 0 ? ' (' + bytes(s.done) + ' / ' + bytes(s.total) + ')' : '');
    if (s.stage === 'packing') return t('drives.packing') + pctText;
    return t('drives.preparing');
  }

  function flashLabel(s) {
    if (s.state === 'done') return t('common.done');
    if (s.stage === 'hashing_image') return t('drives.hashing') + (s.total > 0 ? ' ' + pct(s.done / s.total) : '');
    if (s.stage === 'flashing') return t('drives.flashing');
    return t('common.working');
  }

  // The clean report in words: counts, every blocked file with why, the cleaned files.
  function renderCleanReport(box, r) {
    clear(box);
    var c = r.clean, sum = c.summary;
    box.appendChild(h('h3', t('drives.report')));
    box.appendChild(h('ul.counts#drives-counts',
      h('li.count-cleaned', t('drives.cleaned', { n: sum.cleaned })),
      h('li.count-unchanged', t('drives.unchanged', { n: sum.unchanged })),
      sum.blocked > 0 ? h('li.count-blocked.risk', t('drives.blocked', { n: sum.blocked })) : null));
    if (c.blocked.length) {
      box.appendChild(notice('error', t('drives.blockedStop'), null));
      var rows = c.blocked.map(function (b) {
        return h('tr', h('td.path', b.path), h('td', t('msg.' + b.kind)), h('td.muted.detail', b.reason));
      });
      box.appendChild(h('div.tablewrap', h('table#drives-blocked',
        h('caption', t('drives.blockedWhy')),
        h('thead', h('tr', h('th', { scope: 'col' }, t('drives.files')), h('th', { scope: 'col' }, t('drives.blockedWhy')),
          h('th', { scope: 'col' }, t('common.details')))),
        h('tbody', rows))));
      box.appendChild(h('p.muted', t('drives.blockedHint')));
      var patterns = c.blocked.map(function (b) { return b.exclude; }).filter(function (p) { return p; });
      if (patterns.length === c.blocked.length) {
        box.appendChild(h('div.row', h('button.secondary#drives-exclude-blocked', { type: 'button',
          'data-patterns': JSON.stringify(patterns), text: t('drives.excludeBlocked', { n: patterns.length }) })));
      }
    }
    if (c.excluded && c.excluded.length) {
      var left = c.excluded.map(function (x) {
        return h('li', h('span.path', x.path), ' ', h('span.muted', '(' + x.pattern + ')'));
      });
      var moreLeft = sum.excluded > c.excluded.length ? h('li.muted', t('drives.moreExcluded', { n: sum.excluded - c.excluded.length })) : null;
      box.appendChild(h('details#drives-excluded', { open: true }, h('summary', t('drives.excludedList', { n: sum.excluded })), h('ul', left, moreLeft)));
    }
    if (c.cleaned.length) {
      var items = c.cleaned.map(function (f) {
        return h('li', h('span.path', f.path), ': ', h('span.muted', (f.removed || []).join(', ')));
      });
      var more = sum.cleaned > c.cleaned.length ? h('li.muted', t('drives.moreCleaned', { n: sum.cleaned - c.cleaned.length })) : null;
      box.appendChild(h('details#drives-cleaned', h('summary', t('drives.cleanedList') + ' (' + sum.cleaned + ')'), h('ul', items, more)));
    }
    if (r.image) {
      box.appendChild(notice('ok', t('drives.imageReady', { size: bytes(r.image.size_bytes) }) + ' ' +
        t('drives.imageFiles', { n: r.image.files, content: bytes(r.image.content_bytes) })));
    }
  }

  // A folder (or file) browser under the user's home, listed by the server (`/api/folders`):
  // a page cannot open the system's dialog. Choosing fills `input`.
  function folderPicker(input, opts) {
    var files = !!(opts && opts.files);
    var id = input.id + '-browser';
    var button = h('button.secondary#' + input.id + '-browse', { type: 'button', text: t(files ? 'drives.browseFile' : 'drives.browse'),
      'aria-controls': id, 'aria-expanded': 'false' });
    var panel = h('div.card.browser#' + id, { hidden: true });
    function close() { panel.hidden = true; clear(panel); button.setAttribute('aria-expanded', 'false'); button.focus(); }
    function choose(path) { input.value = path; input.dispatchEvent(new Event('change')); close(); }
    function show(path, fallback) {
      var q = '/api/folders?files=' + (files ? 'true' : 'false') + (path ? '&path=' + encodeURIComponent(path) : '');
      return api.get(q).then(function (r) {
        clear(panel);
        var list = h('ul.entries');
        if (r.parent) {
          var up = h('button.secondary.up', { type: 'button', text: t('drives.up') });
          up.addEventListener('click', function () { show(r.parent); });
          list.appendChild(h('li', up));
        }
        r.entries.forEach(function (e) {
          var full = r.path.replace(/\/$/, '') + '/' + e.name;
          var b = h('button.link' + (e.folder ? '.folder' : '.file'), { type: 'button', 'data-name': e.name,
            text: e.name + (e.folder ? '/' : ' (' + bytes(e.size_bytes) + ')') });
          b.addEventListener('click', function () { if (e.folder) show(full); else choose(full); });
          list.appendChild(h('li', b));
        });
        var use = files ? null : h('button#' + id + '-use', { type: 'button', text: t('drives.useFolder') });
        if (use) use.addEventListener('click', function () { choose(r.path); });
        var closeButton = h('button.secondary', { type: 'button', text: t('drives.closeBrowser') });
        closeButton.addEventListener('click', close);
        append(panel, [h('h3', t('drives.browseTitle')), h('p.path.current', r.path),
          r.entries.length ? null : h('p.muted', t('drives.emptyFolder')), list,
          r.truncated ? h('p.muted', t('drives.truncated', { n: r.entries.length })) : null,
          h('div.row', use, closeButton)]);
        probe.folders = { path: r.path, entries: r.entries.length };
      }, function (err) {
        // A typed path that is not a folder inside home: start from home instead.
        if (fallback) return show('', false);
        clear(panel).appendChild(errorNotice(apiMessage(err)));
      });
    }
    button.addEventListener('click', function () {
      if (!panel.hidden) { close(); return; }
      panel.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      var start = input.value.trim();
      if (files && start) start = start.replace(/\/[^\/]*$/, '');
      show(start, true);
    });
    return { button: button, panel: panel };
  }

  function driveWhy(d) {
    return (d.why || []).map(function (w) { return t('drives.why.' + w); }).join(', ');
  }

  function driveName(d) { return d.model || d.name || d.path; }

  screens.drives = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('drives.title')));
      main.appendChild(h('p.intro', t('drives.intro')));

      // Step 1: the library folder.
      var folder = h('input#drives-folder', { type: 'text', value: drivesForm.library, placeholder: t('drives.libraryPlaceholder'),
        autocomplete: 'off', spellcheck: false });
      var prepareButton = h('button#drives-prepare', { type: 'submit', text: t('drives.prepare') });
      var folderBrowser = folderPicker(folder);
      var forbid = h('input#drives-forbid', { type: 'text', value: drivesForm.forbid || '', autocomplete: 'off', spellcheck: false,
        'aria-describedby': 'drives-forbid-help' });
      var forbidBrowser = folderPicker(forbid, { files: true });
      var exclude = h('textarea#drives-exclude', { rows: 3, autocomplete: 'off', spellcheck: false,
        'aria-describedby': 'drives-exclude-help' });
      exclude.value = drivesForm.exclude || '';
      var step1 = h('form.card#drives-step1', { novalidate: true },
        h('h2', t('drives.step1')), h('p.muted', t('drives.libraryHelp')),
        h('div.row', h('label.wide', { for: 'drives-folder' }, t('drives.libraryPath'), folder), folderBrowser.button),
        folderBrowser.panel,
        h('div.row', h('label.wide', { for: 'drives-forbid' }, t('drives.forbid'), forbid), forbidBrowser.button),
        h('p.muted#drives-forbid-help', t('drives.forbidHelp')),
        forbidBrowser.panel,
        h('label.wide', { for: 'drives-exclude' }, t('drives.exclude'), exclude),
        h('p.muted#drives-exclude-help', t('drives.excludeHelp')),
        h('div.row', prepareButton));
      // Step 2: cleaning and the image.
      var prepBox = h('div#drives-prepare-job');
      var reportBox = h('section#drives-report');
      var step2 = h('section.card', h('h2', t('drives.step2')), prepBox, reportBox);
      // Step 3: drives, confirm, flash.
      var listBox = h('div#drives-list', h('p.muted', t('common.loading')));
      var refresh = h('button.secondary#drives-refresh', { type: 'button', text: t('drives.refresh') });
      var write = h('button#drives-write', { type: 'button', text: t('drives.write') });
      var shrink = h('input#drives-shrink', { type: 'checkbox', checked: !!drivesForm.shrink, 'aria-describedby': 'drives-shrink-help' });
      shrink.addEventListener('change', function () { drivesForm.shrink = shrink.checked; });
      var shrinkRow = h('div', h('label.check', { for: 'drives-shrink' }, shrink, ' ', t('drives.shrink')),
        h('p.muted#drives-shrink-help', t('drives.shrinkHelp')));
      var writeError = h('div#drives-write-error');
      var confirmBox = h('div#drives-confirm');
      var flashBox = h('div#drives-flash');
      var resultBox = h('div#drives-summary');
      var step3 = h('section.card', h('h2', t('drives.step3')), listBox, shrinkRow, h('div.row', refresh, write), writeError, confirmBox,
        flashBox, resultBox);
      append(main, [step1, step2, step3]);

      function prepared(s) {
        prepareButton.disabled = false;
        if (!s || s.state !== 'done') return;
        api.get('/api/jobs/' + s.id + '/result').then(function (r) {
          drivesForm.imageReady = !!r.image;
          // A tab opened after the prepare shows which folder it was.
          if (!folder.value && r.library) { folder.value = r.library; drivesForm.library = r.library; }
          probe.drives = probe.drives || {};
          probe.drives.prepared = { job: s.id, image: !!r.image, blocked: r.clean.blocked.length, at: performance.now() };
          renderCleanReport(reportBox, r);
        }, function (err) { reportBox.appendChild(errorNotice(apiMessage(err))); });
      }

      function excludeLines() {
        return drivesForm.exclude.split('\n').map(function (l) { return l.trim(); }).filter(function (l) { return l; });
      }
      // "Leave the blocked files out and try again": each blocked file's exact pattern is
      // added to the list the person sees (and can take back), then the same step runs.
      reportBox.addEventListener('click', function (ev) {
        var b = ev.target.closest && ev.target.closest('#drives-exclude-blocked');
        if (!b) return;
        var have = excludeLines();
        JSON.parse(b.getAttribute('data-patterns')).forEach(function (p) { if (have.indexOf(p) < 0) have.push(p); });
        exclude.value = have.join('\n');
        step1.requestSubmit ? step1.requestSubmit() : prepareButton.click();
      });

      step1.addEventListener('submit', function (ev) {
        ev.preventDefault();
        drivesForm.library = folder.value.trim();
        drivesForm.forbid = forbid.value.trim();
        drivesForm.exclude = exclude.value;
        clear(reportBox);
        if (!drivesForm.library) { reportBox.appendChild(notice('error', t('msg.library_missing', { path: '' }))); return; }
        prepareButton.disabled = true;
        drivesForm.imageReady = false;
        startJob('/api/prepare', { library: drivesForm.library, forbid: drivesForm.forbid || null, exclude: excludeLines() }, prepBox, { cancellable: true, label: prepareLabel }, prepared);
      });

      // The drive list: only selectable drives have a live checkbox.
      var drives = [];
      function loadDrives() {
        return api.get('/api/drives').then(function (r) {
          drives = r.drives;
          clear(listBox);
          (r.warnings || []).forEach(function (w) { listBox.appendChild(notice('warning', msgText(w), w.detail)); });
          if (!drives.some(function (d) { return d.selectable; })) listBox.appendChild(notice('info', t('drives.selectableNone')));
          var body = h('tbody');
          drives.forEach(function (d, i) {
            var box = h('input', { type: 'checkbox', name: 'drive', value: d.path, disabled: !d.selectable, id: 'drive-' + i,
              'aria-describedby': 'drive-why-' + i });
            body.appendChild(h('tr' + (d.selectable ? '' : '.refused'), { 'data-path': d.path },
              h('td', box), h('td', h('label', { for: 'drive-' + i }, driveName(d))),
              h('td.num', bytes(d.size_bytes)), h('td', d.bus || t('drives.none')), h('td.path.muted', d.path),
              h('td#drive-why-' + i, d.selectable ? '' : driveWhy(d))));
          });
          listBox.appendChild(h('div.tablewrap', h('table#drives-table',
            h('caption', t('drives.drivesList')),
            h('thead', h('tr', h('th', { scope: 'col' }, t('drives.choose')), h('th', { scope: 'col' }, t('drives.model')),
              h('th.num', { scope: 'col' }, t('drives.size')), h('th', { scope: 'col' }, t('drives.bus')),
              h('th', { scope: 'col' }, t('drives.path')), h('th', { scope: 'col' }, t('drives.state')))),
            body)));
        }, function (err) { clear(listBox).appendChild(errorNotice(apiMessage(err))); });
      }
      refresh.addEventListener('click', function () { clear(writeError); loadDrives(); });

      write.addEventListener('click', function () {
        clear(writeError);
        clear(confirmBox);
        var chosen = Array.prototype.filter.call(listBox.querySelectorAll('input[name=drive]'), function (c) { return c.checked && !c.disabled; })
          .map(function (c) { return drives.filter(function (d) { return d.path === c.value; })[0]; });
        if (!chosen.length) { writeError.appendChild(notice('error', t('drives.noneChosen'))); return; }
        if (!drivesForm.imageReady) { writeError.appendChild(notice('error', t('drives.noImage'))); return; }
        // Confirm with every drive written out.
        var go = h('button.danger#drives-confirm-go', { type: 'button', text: t('drives.confirmGo') });
        var cancel = h('button.secondary', { type: 'button', text: t('drives.cancelConfirm') });
        append(confirmBox, [h('div.card.confirm', { role: 'alertdialog', 'aria-labelledby': 'drives-confirm-title' },
          h('h3#drives-confirm-title', t('drives.confirmTitle')), h('p', t('drives.confirmText')),
          h('ul#drives-confirm-list', chosen.map(function (d) {
            return h('li', h('strong', driveName(d)), ' · ', bytes(d.size_bytes), ' · ', d.bus || '', ' · ', h('span.path', d.path));
          })),
          h('div.row', go, cancel))]);
        go.focus();
        cancel.addEventListener('click', function () { clear(confirmBox); write.focus(); });
        go.addEventListener('click', function () {
          clear(confirmBox);
          startFlash(chosen.map(function (d) { return d.path; }));
        });
      });

      // Per drive: name, size, state, bar, speed and what happened.
      function flashTable() {
        var body = h('tbody');
        var table = h('table#drives-flash-table',
          h('thead', h('tr', h('th', { scope: 'col' }, t('drives.model')), h('th.num', { scope: 'col' }, t('drives.size')),
            h('th', { scope: 'col' }, t('drives.state')), h('th', { scope: 'col' }, t('drives.progress')),
            h('th.num', { scope: 'col' }, t('drives.speed')), h('th', { scope: 'col' }, t('common.details')))),
          body);
        return {
          el: h('div.tablewrap', table),
          update: function (s) {
            clear(body);
            (s.items || []).forEach(function (it) {
              var bar = h('progress', { max: it.total > 0 ? it.total : 1, value: it.total > 0 ? it.done : (it.state === 'passed' ? 1 : 0) });
              var cls = it.state === 'passed' ? '.ok' : (it.state === 'fake' || it.state === 'failed') ? '.risk' : '';
              body.appendChild(h('tr', { 'data-path': it.key, 'data-state': it.state },
                h('td', h('strong', it.label || it.key), h('br'), h('span.path.muted', it.key)),
                h('td.num', bytes(it.size_bytes)),
                h('td.state' + cls, t('drives.states.' + it.state)),
                h('td', bar),
                h('td.num.speed', it.speed ? t('common.speed', { speed: bytes(it.speed) }) : t('common.noData')),
                h('td.message', it.message ? msgText(it.message) : '')));
            });
          }
        };
      }

      function flashEnded(s) {
        clear(resultBox);
        if (!s || s.state !== 'done') return;
        api.get('/api/jobs/' + s.id + '/result').then(function (r) {
          probe.drives = probe.drives || {};
          probe.drives.flashed = { job: s.id, passed: r.passed, fake: r.rejected_fake, failed: r.failed, at: performance.now() };
          // The measured speeds of each drive, once it is over.
          r.drives.forEach(function (dr) {
            var row = flashBox.querySelector('tr[data-path="' + (window.CSS && CSS.escape ? CSS.escape(dr.label) : dr.label) + '"] td.speed');
            if (row && dr.write_bytes_per_sec) {
              row.textContent = t('drives.speeds', { write: bytes(dr.write_bytes_per_sec), verify: dr.verify_bytes_per_sec ? bytes(dr.verify_bytes_per_sec) : t('common.noData') });
            }
          });
          var all = r.passed === r.drives.length;
          var record = h('button.secondary#drives-record', { type: 'button', text: t('drives.record') });
          var recordBox = h('div#drives-record-box');
          record.addEventListener('click', function () {
            clear(recordBox);
            api.post('/api/records/add', { kind: 'last_flash' }).then(function () {
              recordBox.appendChild(notice('ok', t('records.added')));
            }, function (err) { recordBox.appendChild(errorNotice(apiMessage(err))); });
          });
          append(resultBox, [notice(all ? 'ok' : 'warning', all ? t('drives.allDone') : t('drives.notAll')),
            h('p.summary#drives-result', t('drives.summary', { passed: r.passed, fake: r.rejected_fake, failed: r.failed })),
            h('div.row', record), recordBox]);
        }, function (err) { resultBox.appendChild(errorNotice(apiMessage(err))); });
      }

      function flashPanel() {
        var table = flashTable();
        return { table: table, opts: { cancellable: false, label: flashLabel, extra: table.update } };
      }

      function startFlash(paths) {
        clear(resultBox);
        var p = flashPanel();
        startJob('/api/flash', { devices: paths, shrink: !!drivesForm.shrink }, flashBox, p.opts, flashEnded).then(function () {
          flashBox.appendChild(p.table.el);
          flashBox.appendChild(h('p.muted', t('drives.closeTabNote')));
        });
      }

      // Jobs started before this page (another tab, a reload): show them.
      var pending = 2;
      function oneReady() { if (--pending === 0) ready(); }
      api.get('/api/session').then(function (sess) {
        var last = function (kind) { var js = sess.jobs.filter(function (j) { return j.kind === kind; }); return js[js.length - 1]; };
        var prep = last('prepare');
        if (prep) {
          if (prep.state === 'running') prepareButton.disabled = true;
          attachJob(prep, prepBox, { cancellable: true, label: prepareLabel }, prepared);
        }
        var fl = last('flash');
        if (fl) {
          var p = flashPanel();
          attachJob(fl, flashBox, p.opts, flashEnded);
          flashBox.appendChild(p.table.el);
          p.table.update(fl);
        }
      }).then(oneReady, oneReady);
      loadDrives().then(oneReady);
      return true;
    }
  };

  // ---------- records: unlock, list, add, correct, report, export, import ----------

  var STATUSES = ['planned', 'in-transit', 'delivered', 'lost'];

  function presetName(p) { return has('plan.presets.' + p) ? t('plan.presets.' + p) : p; }

  screens.records = {
    render: function (main, ready) {
      main.appendChild(h('h1', t('records.title')));
      main.appendChild(h('p.intro', t('records.intro')));
      var box = h('div#records');
      main.appendChild(box);
      main.appendChild(keysAndDestroy());
      api.get('/api/records').then(function (st) {
        if (st.unlocked) return api.get('/api/records/list').then(showRecords);
        showLock(st.exists);
      }, function (err) { box.appendChild(errorNotice(apiMessage(err))); }).then(ready, ready);

      // This team's key pair (no passphrase needed), and destroying the records.
      function keysAndDestroy() {
        var out = h('input#rk-out', { type: 'text', autocomplete: 'off', spellcheck: false });
        var make = h('button.secondary#records-keygen', { type: 'button', text: t('records.keygen') });
        var keyBox = h('div#records-keygen-box');
        api.get('/api/folders').then(function (r) { if (!out.value) out.value = r.home.replace(/\/$/, '') + '/saebaram-team.key'; }, function () {});
        make.addEventListener('click', function () {
          clear(keyBox);
          api.post('/api/records/keygen', { out: out.value }).then(function (r) {
            keyBox.appendChild(notice('ok', t('records.keygenDone', { secret: r.secret, public: r.public })));
            probe.keygen = r;
          }, function (err) { keyBox.appendChild(errorNotice(apiMessage(err))); });
        });
        var word = h('input#rd-confirm', { type: 'text', autocomplete: 'off', spellcheck: false });
        var destroy = h('button.danger#records-destroy', { type: 'button', text: t('records.destroy') });
        var destroyBox = h('div#records-destroy-box');
        destroy.addEventListener('click', function () {
          clear(destroyBox);
          if (word.value.trim() !== t('records.destroyWord')) {
            destroyBox.appendChild(notice('error', t('records.destroyMismatch', { word: t('records.destroyWord') })));
            return;
          }
          word.value = '';
          api.post('/api/records/destroy', { confirm: 'destroy' }).then(function (r) {
            destroyBox.appendChild(notice('ok', t('records.destroyed', { files: r.removed.join(', ') })));
            destroyBox.appendChild(notice('warning', t('records.destroyNote')));
            probe.destroyed = r.removed;
            showLock(false);
          }, function (err) { destroyBox.appendChild(errorNotice(apiMessage(err))); });
        });
        return h('div',
          h('section.card#records-keys', h('h2', t('records.keygenTitle')), h('p.muted', t('records.keygenHelp')),
            h('div.row', h('label.wide', { for: 'rk-out' }, t('records.keygenOut'), out), make), keyBox),
          h('section.card#records-destroy-card', h('h2', t('records.destroyTitle')), h('p.muted', t('records.destroyHelp')),
            h('div.row', h('label', { for: 'rd-confirm' }, t('records.destroyConfirm', { word: t('records.destroyWord') }), word), destroy),
            destroyBox));
      }

      // Locked: the passphrase (twice for a new file). It goes to the server once and is
      // cleared from the field at once.
      function showLock(exists) {
        clear(box);
        var pass = h('input#records-pass', { type: 'password', autocomplete: exists ? 'current-password' : 'new-password' });
        var pass2 = exists ? null : h('input#records-pass2', { type: 'password', autocomplete: 'new-password' });
        var go = h('button#records-unlock', { type: 'submit', text: exists ? t('records.unlock') : t('records.create') });
        var errorBox = h('div#records-error');
        var form = h('form.card#records-lock-form', { novalidate: true },
          h('h2', exists ? t('records.unlockTitle') : t('records.create')),
          exists ? null : h('p.muted', t('records.createHelp')),
          h('div.row', h('label', { for: 'records-pass' }, t('records.passphrase'), pass),
            pass2 ? h('label', { for: 'records-pass2' }, t('records.passphraseAgain'), pass2) : null, go),
          errorBox);
        box.appendChild(form);
        form.addEventListener('submit', function (ev) {
          ev.preventDefault();
          clear(errorBox);
          var body = { passphrase: pass.value, create: !exists };
          if (!exists) body.confirm = pass2.value;
          pass.value = '';
          if (pass2) pass2.value = '';
          if (!body.passphrase) { errorBox.appendChild(notice('error', t('records.passphraseEmpty'))); return; }
          go.disabled = true;
          errorBox.appendChild(h('p.progress-label', { role: 'status' }, t('records.opening')));
          unlockRecords(body).then(showRecords, function (err) {
            clear(errorBox).appendChild(errorNotice(apiMessage(err)));
            go.disabled = false;
            pass.focus();
          });
          body = null;
        });
        pass.focus();
      }

      function numberInput(id, label) {
        return h('label', { for: id }, label, h('input#' + id, { type: 'number', min: 0, step: 1, value: 0 }));
      }
      function num(id) { var v = Number(document.getElementById(id).value); return isFinite(v) && v > 0 ? Math.floor(v) : 0; }
      function val(id) { return document.getElementById(id).value; }

      function showRecords(list) {
        clear(box);
        probe.records = { launches: list.launches.length, batches: list.batches.length, shipments: list.shipments.length };
        var lock = h('button.secondary#records-lock', { type: 'button', text: t('records.lock') });
        lock.addEventListener('click', function () { api.post('/api/records/lock').then(function () { showLock(true); }); });
        var status = h('div#records-status');
        box.appendChild(h('div.row', h('p.muted', t('records.unlocked')), lock));
        box.appendChild(status);
        function done(m) {
          return function (r) {
            return api.get('/api/records/list').then(function (l) { showRecords(l); document.getElementById('records-status').appendChild(notice('ok', m)); });
          };
        }
        function failed(err) { clear(status).appendChild(errorNotice(apiMessage(err))); }

        // Launches.
        var lrows = list.launches.map(function (l) {
          var edit = h('button.secondary', { type: 'button', text: t('records.edit') });
          var row = h('tr', { 'data-id': l.id },
            h('td', kstUtc(l.time)), h('td', siteName(l.site)), h('td', presetName(l.preset)),
            h('td.num', String(l.payload.leaflets)), h('td.num', String(l.payload.usb + l.payload.sd + l.payload.other)),
            h('td', l.outcome ? l.outcome.note : ''), h('td', edit));
          edit.addEventListener('click', function () {
            var note = h('input#records-note-' + l.id, { type: 'text', value: l.outcome ? l.outcome.note : '' });
            var leaflets = h('input', { type: 'number', min: 0, value: l.payload.leaflets });
            var save = h('button.records-save', { type: 'button', text: t('records.save') });
            var form = h('tr.editing', h('td', { colSpan: 7 }, h('div.row',
              h('label', t('records.note'), note), h('label', t('records.leaflets'), leaflets), save)));
            row.parentNode.insertBefore(form, row.nextSibling);
            note.focus();
            save.addEventListener('click', function () {
              api.post('/api/records/correct', { id: l.id, note: note.value, leaflets: Number(leaflets.value) || 0 })
                .then(done(t('records.saved')), failed);
            });
          });
          return row;
        });
        box.appendChild(h('section.card',
          h('h2', t('records.launches')),
          lrows.length ? h('div.tablewrap', h('table#records-launches',
            h('thead', h('tr', h('th', t('records.when')), h('th', t('plan.site')), h('th', t('plan.preset')),
              h('th.num', t('records.leaflets')), h('th.num', t('records.devices')), h('th', t('records.note')), h('th', ''))),
            h('tbody', lrows))) : h('p.muted', t('records.empty')),
          h('details#records-add-launch', h('summary', t('records.addLaunch')),
            h('form.row#records-launch-form', { novalidate: true },
              h('label', { for: 'rl-time' }, t('records.whenKst'), h('input#rl-time', { type: 'datetime-local' })),
              h('label', { for: 'rl-site' }, t('plan.site'), select('rl-site', SITES.map(function (x) { return [x, t('plan.siteNames.' + x)]; }), 'paju')),
              h('label', { for: 'rl-preset' }, t('plan.preset'), select('rl-preset', PRESETS.map(function (x) { return [x, t('plan.presets.' + x)]; }), 'slack-tube')),
              numberInput('rl-leaflets', t('records.leaflets')), numberInput('rl-usb', t('records.usb')), numberInput('rl-sd', t('records.sd')),
              h('button#records-launch-save', { type: 'submit', text: t('records.save') })))));
        document.getElementById('records-launch-form').addEventListener('submit', function (ev) {
          ev.preventDefault();
          var when = fromKstInput(val('rl-time'));
          if (when == null) { clear(status).appendChild(notice('error', t('records.needTime'))); return; }
          api.post('/api/records/add', { kind: 'launch', time: new Date(when * 1000).toISOString().replace('.000Z', 'Z'),
            site: val('rl-site'), preset: val('rl-preset'), leaflets: num('rl-leaflets'), usb: num('rl-usb'), sd: num('rl-sd') })
            .then(done(t('records.added')), failed);
        });

        // Batches (from this app's last flash).
        var brows = list.batches.map(function (b) {
          return h('tr', { 'data-id': b.id }, h('td', kstUtc(b.time)), h('td.num', String(b.written)), h('td.num', String(b.passed)),
            h('td.num', String(b.rejected_fake)), h('td.num', String(b.failed)), h('td', b.content_version || ''));
        });
        var addBatch = h('button.secondary#records-add-batch', { type: 'button', text: t('records.addBatch') });
        addBatch.addEventListener('click', function () { api.post('/api/records/add', { kind: 'last_flash' }).then(done(t('records.added')), failed); });
        box.appendChild(h('section.card', h('h2', t('records.batches')),
          brows.length ? h('div.tablewrap', h('table#records-batches',
            h('thead', h('tr', h('th', t('records.when')), h('th.num', t('records.written')), h('th.num', t('drives.states.passed')),
              h('th.num', t('drives.states.fake')), h('th.num', t('drives.states.failed')), h('th', t('records.contentVersion')))),
            h('tbody', brows))) : h('p.muted', t('records.empty')),
          h('div.row', addBatch)));

        // Shipments.
        var srows = list.shipments.map(function (sh) {
          var edit = h('button.secondary', { type: 'button', text: t('records.edit') });
          var row = h('tr', { 'data-id': sh.id }, h('td', sh.route), h('td', sh.sent), h('td', sh.arrived || ''),
            h('td', t('records.status.' + sh.status)), h('td.num', String(sh.devices.usb + sh.devices.sd + sh.devices.other)), h('td', edit));
          edit.addEventListener('click', function () {
            var st = select('records-status-' + sh.id, STATUSES.map(function (x) { return [x, t('records.status.' + x)]; }), sh.status);
            var arrived = h('input', { type: 'date', value: sh.arrived || '' });
            var save = h('button.records-save', { type: 'button', text: t('records.save') });
            row.parentNode.insertBefore(h('tr.editing', h('td', { colSpan: 6 }, h('div.row',
              h('label', t('records.statusLabel'), st), h('label', t('records.arrived'), arrived), save))), row.nextSibling);
            save.addEventListener('click', function () {
              api.post('/api/records/correct', { id: sh.id, status: st.value, arrived: arrived.value || null }).then(done(t('records.saved')), failed);
            });
          });
          return row;
        });
        box.appendChild(h('section.card', h('h2', t('records.shipments')),
          srows.length ? h('div.tablewrap', h('table#records-shipments',
            h('thead', h('tr', h('th', t('records.route')), h('th', t('records.sent')), h('th', t('records.arrived')),
              h('th', t('records.statusLabel')), h('th.num', t('records.devices')), h('th', ''))),
            h('tbody', srows))) : h('p.muted', t('records.empty')),
          h('details#records-add-shipment', h('summary', t('records.addShipment')),
            h('form.row#records-shipment-form', { novalidate: true },
              h('label', { for: 'rs-route' }, t('records.route'), h('input#rs-route', { type: 'text' })),
              h('label', { for: 'rs-sent' }, t('records.sent'), h('input#rs-sent', { type: 'date' })),
              h('label', { for: 'rs-status' }, t('records.statusLabel'), select('rs-status', STATUSES.map(function (x) { return [x, t('records.status.' + x)]; }), 'planned')),
              numberInput('rs-usb', t('records.usb')), numberInput('rs-sd', t('records.sd')),
              h('button#records-shipment-save', { type: 'submit', text: t('records.save') })))));
        document.getElementById('records-shipment-form').addEventListener('submit', function (ev) {
          ev.preventDefault();
          api.post('/api/records/add', { kind: 'shipment', route: val('rs-route'), sent: val('rs-sent'), status: val('rs-status'),
            usb: num('rs-usb'), sd: num('rs-sd') }).then(done(t('records.added')), failed);
        });

        // The donor report.
        var reportBox = h('div#records-report-box');
        var makeReport = h('button#records-report', { type: 'button', text: t('records.makeReport') });
        box.appendChild(h('section.card', h('h2', t('records.report')), h('p.muted', t('records.reportHelp')),
          h('div.row', h('label', { for: 'rr-from' }, t('records.from'), h('input#rr-from', { type: 'date' })),
            h('label', { for: 'rr-to' }, t('records.to'), h('input#rr-to', { type: 'date' })), makeReport), reportBox));
        makeReport.addEventListener('click', function () {
          api.post('/api/records/report', { from: val('rr-from') || null, to: val('rr-to') || null }).then(function (r) {
            clear(reportBox);
            var row = function (x) {
              return h('tr', h('td', x.month === 'total' ? t('records.total') : x.month), h('td', t('records.channels.' + x.channel)),
                h('td.num', String(x.events)), h('td.num', String(x.leaflets)), h('td.num', String(x.devices)), h('td.num', String(Math.round(x.estimated_reach))));
            };
            append(reportBox, [h('p', t('records.reportRange', { from: r.from, to: r.to, leaflet: r.reach_per_leaflet, device: r.reach_per_device })),
              h('div.tablewrap', h('table#records-report-table',
                h('thead', h('tr', h('th', t('records.month')), h('th', t('records.channel')), h('th.num', t('records.events')),
                  h('th.num', t('records.leaflets')), h('th.num', t('records.devices')), h('th.num', t('records.reach')))),
                h('tbody', r.months.map(row), r.totals.map(row)))),
              h('p#records-report-batches', t('records.batchTotal', { written: r.batch_total.written, passed: r.batch_total.passed,
                fake: r.batch_total.rejected_fake }))]);
            probe.records.report = r.totals.length;
          }, function (err) { clear(reportBox).appendChild(errorNotice(apiMessage(err))); });
        });

        // Another team.
        var xBox = h('div#records-exchange-box');
        var exp = h('button.secondary#records-export', { type: 'button', text: t('records.export') });
        var imp = h('button.secondary#records-import', { type: 'button', text: t('records.import') });
        box.appendChild(h('section.card', h('h2', t('records.exchange')), h('p.muted', t('records.exchangeHelp')),
          h('div.row', h('label.wide', { for: 'rx-to' }, t('records.exportTo'), h('input#rx-to', { type: 'text' })),
            h('label.wide', { for: 'rx-out' }, t('records.exportOut'), h('input#rx-out', { type: 'text' })), exp),
          h('div.row', h('label.wide', { for: 'rx-file' }, t('records.importFile'), h('input#rx-file', { type: 'text' })),
            h('label.wide', { for: 'rx-identity' }, t('records.importKey'), h('input#rx-identity', { type: 'text' })), imp),
          xBox));
        exp.addEventListener('click', function () {
          api.post('/api/records/export', { to: val('rx-to'), out: val('rx-out') || null }).then(function (r) {
            clear(xBox).appendChild(notice('ok', t('records.exported', { file: r.out, launches: r.launches, batches: r.batches, shipments: r.shipments })));
          }, function (err) { clear(xBox).appendChild(errorNotice(apiMessage(err))); });
        });
        imp.addEventListener('click', function () {
          api.post('/api/records/import', { file: val('rx-file'), identity: val('rx-identity') }).then(done(t('records.imported')),
            function (err) { clear(xBox).appendChild(errorNotice(apiMessage(err))); });
        });
      }
      return true;
    }
  };

  // The unlock form, sealed for the server (`sealed.rs`): ECDH P-256 with the server's
  // one-time key, HKDF-SHA-256, AES-256-GCM. The passphrase never crosses HTTP in the clear.
  function toHex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  function fromHex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }
  function sealForm(fields) {
    var subtle = crypto.subtle, enc = new TextEncoder(), curve = { name: 'ECDH', namedCurve: 'P-256' };
    return api.get('/api/records/key').then(function (k) {
      return subtle.generateKey(curve, false, ['deriveBits']).then(function (pair) {
        return subtle.importKey('raw', fromHex(k.public), curve, false, []).then(function (server) {
          return subtle.deriveBits({ name: 'ECDH', public: server }, pair.privateKey, 256);
        }).then(function (bits) {
          return subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
        }).then(function (ikm) {
          return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: enc.encode('saebaram app unlock v1'), info: enc.encode('records passphrase') },
            ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
        }).then(function (aes) {
          var iv = crypto.getRandomValues(new Uint8Array(12));
          var plain = enc.encode(JSON.stringify(fields));
          return subtle.encrypt({ name: 'AES-GCM', iv: iv }, aes, plain).then(function (sealed) {
            plain.fill(0);
            return subtle.exportKey('raw', pair.publicKey).then(function (pub) {
              return { key_id: k.id, public: toHex(pub), iv: toHex(iv), sealed: toHex(sealed) };
            });
          });
        });
      });
    });
  }
  function unlockRecords(fields) {
    return sealForm(fields).then(function (body) { return api.post('/api/records/unlock', body); });
  }

  // For the screens' own files (none yet) and the tests.
  probe.lib = { unlockRecords: unlockRecords, t: t, h: h, api: api, kstUtc: kstUtc, pct: pct, bytes: bytes, startJob: startJob, watchJob: watchJob, msgText: msgText };

  document.documentElement.lang = lang;
  show(location.hash.slice(1) || 'forecast', true);
  probe.firstPaintMs = performance.now();
})();
