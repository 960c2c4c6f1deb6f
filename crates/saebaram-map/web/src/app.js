// saebaram offline map: draws the page data (one JSON element) with Leaflet.
// No network, no dependencies besides Leaflet (global `L`), no build step.
(function () {
  'use strict';

  var CLASS_KEYS = ['north_korea', 'south_korea', 'dmz', 'sea', 'other'];
  var CLASS_COLORS = ['#d62728', '#1f6fd1', '#f59e0b', '#7c4dbd', '#6b7280'];
  var STAGE_COLORS = ['#1f6fd1', '#d62728', '#0f9d58', '#7c4dbd', '#e67e22', '#374151'];

  var STRINGS = {
    en: {
      planTitle: 'Launch plan', predTitle: 'Flight prediction',
      classes: ['North Korea', 'South Korea', 'DMZ', 'Sea', 'Other'],
      window: 'Launch window', best: 'best', bestWindow: 'Best window', prev: 'Previous', next: 'Next',
      pTarget: 'P(target)', target: 'Target', site: 'Launch site', members: 'Members', seed: 'Seed',
      windows: 'Windows', outcomes: 'Where the leaflets land', landed: 'members',
      distance: 'Distance to target', median: 'median', p90: '90th percentile',
      forecast: 'Forecast', source: 'Source', credit: 'Credit', run: 'Run', profile: 'Balloon profile',
      warnings: 'Warnings', sample: 'Sample forecast: this is NOT today\u2019s weather. Fetch a current forecast before any launch.',
      layers: { heat: 'Leaflet density', c50: '50 % contour', c90: '90 % contour', tracks: 'Member tracks',
        landings: 'Landings', provinces: 'Provinces', cities: 'Cities', track: 'Track', events: 'Events' },
      legend: 'Legend', density: 'Leaflet density', timeline: 'P(target) by launch time (KST); choose a bar',
      launch: 'Launch', landing: 'Landing', events: 'Events', stages: 'Stages', outcome: 'Outcome', province: 'Province',
      maxAlt: 'max altitude', about: 'About', licences: 'Licences and credits', close: 'Close',
      noData: '\u2014', error: 'The map could not be drawn: ',
      countries: { PRK: 'North Korea', KOR: 'South Korea', CHN: 'China', RUS: 'Russia', JPN: 'Japan' },
      labels: { envelope: 'envelope', leaflets: 'leaflets', ground: 'on the ground', sea: 'in the sea', left_domain: 'left the forecast area' },
      failed: 'Failed members', unresolved: 'Left the forecast area',
      kinds: { burst: 'Burst', release: 'Release', float_start: 'Float start', timer: 'Timer', cut: 'Cut-down',
        ascent: 'Ascent', float: 'Float', descent: 'Descent', leaflets: 'Leaflets', leaflets_fast: 'Leaflets (fast)',
        leaflets_slow: 'Leaflets (slow)', envelope: 'Envelope', payload: 'Payload' },
      fromTarget: 'to the target', nearestNk: 'Nearest North Korean city', altitude: 'altitude',
      risk: 'Heavy intact fall on a town', riskTag: 'RISK', riskOver: 'over the plan\u2019s limit: not recommended',
      riskMembers: 'of members', riskHere: 'falls here', riskLayer: 'Towns at risk', places: 'Towns',
      aboutText: 'Made by saebaram offline: this file loads nothing from the network. Base map: Natural Earth (public domain). Map library: Leaflet.'
    },
    ko: {
      planTitle: '띄우기 계획', predTitle: '비행 예측',
      classes: ['북한', '남한', '비무장지대', '바다', '기타'],
      window: '띄울 시각', best: '추천', bestWindow: '추천 시각', prev: '이전', next: '다음',
      pTarget: '목표 지역에 떨어질 확률', target: '목표 지역', site: '출발 지점', members: '모의 비행 횟수', seed: '계산 번호',
      windows: '띄울 시각 수', outcomes: '전단 낙하 지역', landed: '개',
      distance: '목표까지 거리', median: '중앙값', p90: '90 백분위',
      forecast: '예보', source: '출처', credit: '제공', run: '발표 시각', profile: '풍선 설정',
      warnings: '경고', sample: '내장 예시 예보 (2019년, 오늘 날씨 아님)입니다. 풍선을 띄우기 전에 최신 바람 예보를 받으십시오.',
      layers: { heat: '전단 밀도', c50: '50 % 등고선', c90: '90 % 등고선', tracks: '모의 비행 궤적',
        landings: '낙하 지점', provinces: '도 경계', cities: '도시', track: '궤적', events: '사건' },
      legend: '범례', density: '전단 밀도', timeline: '띄울 시각(KST)별 목표 지역에 떨어질 확률: 막대를 고르십시오',
      launch: '띄우기', landing: '낙하', events: '사건', stages: '단계', outcome: '결과', province: '도',
      maxAlt: '최고 고도', about: '정보', licences: '라이선스와 출처', close: '닫기',
      noData: '\u2014', error: '지도를 그리지 못했습니다: ',
      countries: { PRK: '북한', KOR: '남한', CHN: '중국', RUS: '러시아', JPN: '일본' },
      labels: { envelope: '풍선 외피', leaflets: '전단', ground: '지상', sea: '바다', left_domain: '예보 영역 밖' },
      failed: '실패한 모의 비행', unresolved: '예보 영역 이탈',
      kinds: { burst: '파열', release: '전단 살포', float_start: '부유 시작', timer: '타이머', cut: '분리',
        ascent: '상승', float: '부유', descent: '하강', leaflets: '전단', leaflets_fast: '전단 (빠름)',
        leaflets_slow: '전단 (느림)', envelope: '풍선 외피', payload: '탑재물' },
      fromTarget: '목표까지', nearestNk: '가장 가까운 북한 도시', altitude: '고도',
      risk: '짐이 통째로 떨어질 위험 (주택가)', riskTag: '낙하 위험', riskOver: '허용 한도 초과: 추천하지 않음',
      riskMembers: '모의 비행 중', riskHere: '이곳에 떨어짐', riskLayer: '낙하 위험 지역', places: '도시·마을',
      aboutText: 'saebaram이 오프라인으로 만든 파일입니다: 네트워크에서 아무것도 불러오지 않습니다. 기본 지도: Natural Earth (퍼블릭 도메인). 지도 라이브러리: Leaflet.'
    }
  };

  // A sea drift (`drift --html`) is drawn as a plan of throw windows: these words replace
  // the balloon's where they differ.
  var DRIFT_STRINGS = {
    en: {
      planTitle: 'Bottles at sea', window: 'Throw window', windows: 'Throw windows', bestWindow: 'Best throw window',
      pTarget: 'P(strands on the North\u2019s coast)', site: 'Throw site', members: 'Bottles per window',
      outcomes: 'Where the bottles end', landed: 'bottles', forecast: 'Currents and wind',
      profile: 'Drift settings', unresolved: 'Stopped by the current data (its coast, edge or last hour)',
      classes: ['North Korea', 'South Korea', 'DMZ', 'Afloat or stopped at sea', 'Other'],
      layers: { heat: 'Bottle density', c50: '50 % contour', c90: '90 % contour', tracks: 'Bottle tracks',
        landings: 'Bottle ends', provinces: 'Provinces', cities: 'Cities', track: 'Track', events: 'Events' },
      density: 'Bottle density', timeline: 'P(North\u2019s coast) by throw time (KST); choose a bar',
      hoursNorth: 'Median hours to the North\u2019s coast', byProvince: 'Strandings by province',
      byTown: 'Nearest North Korean town (county seat) of the strandings',
      labels: { stranded: 'stranded', afloat: 'still afloat', forcing_land: 'stopped at the current data\u2019s coast',
        left_area: 'left the current data\u2019s area', forcing_ended: 'past the current data\u2019s last hour' }
    },
    ko: {
      planTitle: '바다로 띄운 병', window: '던질 시각', windows: '던질 시각 수', bestWindow: '추천 던질 시각',
      pTarget: '북한 해안에 닿을 확률', site: '던지는 곳', members: '시각마다 병 수',
      outcomes: '병이 닿은 곳', landed: '개', forecast: '해류와 바람',
      profile: '표류 설정', unresolved: '해류 자료에서 멈춤 (자료의 해안, 가장자리, 마지막 시각)',
      classes: ['북한', '남한', '비무장지대', '바다 (떠 있거나 멈춤)', '기타'],
      layers: { heat: '병 밀도', c50: '50 % 등고선', c90: '90 % 등고선', tracks: '병 궤적',
        landings: '병이 닿은 곳', provinces: '도 경계', cities: '도시', track: '궤적', events: '사건' },
      density: '병 밀도', timeline: '던질 시각(KST)별 북한 해안에 닿을 확률: 막대를 고르십시오',
      hoursNorth: '북한 해안까지 걸린 시간 (중앙값)', byProvince: '도별 닿은 비율',
      byTown: '닿은 곳에서 가장 가까운 북한 읍·군 소재지',
      labels: { stranded: '해안에 닿음', afloat: '아직 떠 있음', forcing_land: '해류 자료의 해안에서 멈춤',
        left_area: '해류 자료 영역 밖', forcing_ended: '해류 자료 시간 끝' }
    }
  };

  performance.mark('sb-start');
  var D = JSON.parse(document.getElementById('saebaram-data').textContent);
  performance.mark('sb-parsed');
  var T = STRINGS[D.lang] || STRINGS.en;
  if (D.drift) {
    var over = DRIFT_STRINGS[D.lang] || DRIFT_STRINGS.en, merged = {};
    Object.keys(T).forEach(function (k) { merged[k] = T[k]; });
    Object.keys(over).forEach(function (k) { merged[k] = over[k]; });
    T = merged;
  }
  var app = document.getElementById('app');
  var state = { map: null, windowLayers: null, selected: null, bars: [], overlays: {}, counts: {} };

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function el(tag, cls, html) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html != null) e.innerHTML = html;
    return e;
  }
  function pct(p) { return p == null ? T.noData : (p * 100).toFixed(p > 0 && p < 0.01 ? 1 : 0) + ' %'; }
  function km(d) { return d == null ? T.noData : d.toFixed(d < 10 ? 1 : 0) + ' km'; }
  function pad(n) { return String(n).padStart(2, '0'); }
  function parseTime(s) { var d = new Date(s); return isNaN(d.getTime()) ? null : d; }
  function fmtAt(d, offsetH, withDate) {
    var x = new Date(d.getTime() + offsetH * 3600e3);
    var hm = pad(x.getUTCHours()) + ':' + pad(x.getUTCMinutes());
    return withDate ? x.getUTCFullYear() + '-' + pad(x.getUTCMonth() + 1) + '-' + pad(x.getUTCDate()) + ' ' + hm : hm;
  }
  function timeBoth(s) {
    var d = parseTime(s);
    if (!d) return esc(s || T.noData);
    return esc(fmtAt(d, 9, true)) + ' KST <span class="sb-muted">(' + esc(fmtAt(d, 0, true)) + ' UTC)</span>';
  }
  function shortKst(s) {
    var d = parseTime(s);
    if (!d) return String(s || '');
    var x = new Date(d.getTime() + 9 * 3600e3);
    return { day: pad(x.getUTCMonth() + 1) + '-' + pad(x.getUTCDate()), hm: fmtAt(d, 9, false) };
  }
  function featName(p) {
    if (!p) return '';
    if (D.lang === 'ko') return p.name_ko || p.NAME_KO || p.NAME_EN || p.name_en || p.NAME || p.name || '';
    return p.NAME_EN || p.name_en || p.NAME || p.name || '';
  }
  // A contour ring [row, col, "NESW..."] (grid corners, one letter per edge) to lat/lon,
  // merging straight runs into one segment.
  function unchain(r, cs) {
    var row = r[0], col = r[1], code = r[2], out = [[row * cs, col * cs]], prev = '';
    for (var i = 0; i < code.length; i++) {
      var ch = code[i];
      if (ch === 'N') row++; else if (ch === 'S') row--; else if (ch === 'E') col++; else col--;
      if (ch === prev) out[out.length - 1] = [row * cs, col * cs]; else out.push([row * cs, col * cs]);
      prev = ch;
    }
    return out;
  }
  // A track [lat0, lon0, dlat, dlon, ...] in thousandths of a degree to lat/lon.
  function undelta(t) {
    var out = [], lat = 0, lon = 0;
    for (var i = 0; i + 1 < t.length; i += 2) {
      lat += t[i]; lon += t[i + 1];
      out.push([lat / 1000, lon / 1000]);
    }
    return out;
  }
  // The heavy-fall warning, Korean first and English beside it whatever the page's
  // language: it is the one message everybody near the launch must read.
  // A plan warning in the page's language: Korean words for the codes the planner gives
  // (the English text beside them), the English text as it is otherwise.
  function warningText(text, w) {
    if (D.lang !== 'ko' || !w) return text;
    var ko = null;
    switch (w.code) {
      case 'no_safe_window':
        ko = '추천 시각이 없습니다: 모든 시각에서 남한 주택가에 짐이 통째로 떨어질 확률이 ' + pct1(w.max_heavy_risk) +
          '를 넘습니다 (가장 낮은 시각도 ' + pct1(w.lowest) + '). 풍선 종류, 출발 지점이나 시각을 바꾸십시오.';
        break;
      case 'heavy_fall_on_populated_places':
        ko = '가장 좋은 시각에 띄우면 남한 주택가에 짐이 통째로 떨어질 수 있습니다 (모의 비행의 ' + pct1(w.share) +
          (w.places && w.places.length ? ': ' + w.places.map(function (p) { return p[0] + ' ' + pct1(p[1]); }).join(', ') : '') + ').';
        break;
      case 'embedded_sample_flight':
        ko = '내장 예시 예보 (2019년, 오늘 날씨 아님)로 계산했습니다. 실제로 띄우기 전에 최신 바람 예보를 불러오십시오.';
        break;
      case 'steady_forecast':
        ko = '이 예보에는 한 시각의 바람만 있어 모든 시각에 같은 바람으로 계산했습니다.';
        break;
      case 'terrain_missing_tiles':
        ko = '지형 자료에 없는 곳이 있어 그곳은 대략적인 지형으로 계산했습니다.';
        break;
      case 'terrain_void_tiles':
        ko = '지형 자료에 빈 곳이 있어 그곳은 대략적인 지형으로 계산했습니다.';
        break;
      case 'terrain_outside_area':
        ko = '예보 지역 밖의 지형은 대략적으로 계산했습니다.';
        break;
    }
    return ko ? ko + ' / ' + text : text;
  }

  // The target's label in the page's language (a plan from before `label_ko`: English).
  function targetLabel() {
    var tg = D.target || {};
    return D.lang === 'ko' && tg.label_ko ? tg.label_ko : (tg.label || '');
  }

  function pct1(p) { return (Math.round(p * 1000) / 10).toFixed(1) + ' %'; }
  function bothNames(en, ko) { return ko ? ko + ' / ' + en : en; }
  function riskText(en, ko, p, pop) {
    var peopleKo = pop ? ' \u00b7 인구 ' + pop.toLocaleString('en-US') + '명' : '';
    var peopleEn = pop ? ' (' + pop.toLocaleString('en-US') + ' people)' : '';
    if (p == null) {
      return '<b>\u26a0 무거운 짐이 통째로 떨어짐 \u2014 ' + esc(bothNames(en, ko)) + '</b>' + esc(peopleKo) +
        '<br>A heavy load falls here intact \u2014 ' + esc(en) + esc(peopleEn);
    }
    return '<b>\u26a0 무거운 짐이 떨어질 확률 ' + pct1(p) + ' \u2014 ' + esc(bothNames(en, ko)) + '</b>' + esc(peopleKo) +
      '<br>Chance of a heavy load falling intact: ' + pct1(p) + ' of members \u2014 ' + esc(en) + esc(peopleEn);
  }
  // A populated disc at risk, with its popup and a short permanent label. On the plan map
  // the discs share the landings' canvas, drawn before them: a landing inside a disc keeps
  // its hover tooltip, a click anywhere else in the disc opens the disc's popup (Leaflet's
  // canvas gives the event to the topmost shape under the pointer). Elsewhere (`renderer`
  // absent) a disc is an SVG path in its own pane.
  function riskDisc(layer, lat, lon, rKm, html, short, renderer) {
    var c = L.circle([lat, lon], {
      pane: renderer ? 'sb-points' : 'sb-risk', renderer: renderer, radius: rKm * 1000, color: '#b91c1c', weight: 2.5,
      fillColor: '#ef4444', fillOpacity: 0.22, className: 'sb-risk-disc'
    }).bindPopup(html, { className: 'sb-risk-popup', maxWidth: 320 })
      .bindTooltip(esc(short), { permanent: true, direction: 'center', className: 'sb-tip sb-risk-tip' });
    c.addTo(layer);
    return c;
  }
  function kindName(k) { return (T.kinds && T.kinds[k]) || (T.labels && T.labels[k]) || k || ''; }
  function pairs(flat) {
    var out = [];
    for (var i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
    return out;
  }

  // ---------- layout ----------
  function layout() {
    var title = D.kind === 'plan' ? T.planTitle : T.predTitle;
    var header = el('header', 'sb-header');
    var sub = [];
    if (D.kind === 'plan') {
      if (D.sites) sub.push(T.site + ': ' + D.sites.map(function (st) { return esc(st.name); }).join(', '));
      else if (D.site && D.site.name) sub.push(T.site + ': ' + esc(D.site.name));
      if (D.target && D.target.label) sub.push(T.target + ': ' + esc(targetLabel()));
    }
    if (D.forecast && D.forecast.source) sub.push(T.forecast + ': ' + esc(D.forecast.source));
    header.innerHTML = '<div class="sb-brand"><span class="sb-logo">새바람</span> saebaram \u00b7 ' + esc(title) +
      '</div><div class="sb-sub">' + sub.join(' \u00b7 ') + '</div>';
    var aboutBtn = el('button', 'sb-btn sb-about-btn', esc(T.about));
    aboutBtn.type = 'button';
    aboutBtn.addEventListener('click', showAbout);
    header.appendChild(aboutBtn);
    app.appendChild(header);

    var banners = [];
    if (D.forecast && D.forecast.steady_sample) banners.push(T.sample);
    (D.warnings || []).forEach(function (w, k) { banners.push(warningText(w, D.warn && D.warn[k])); });
    if (banners.length) {
      var b = el('div', 'sb-banner');
      b.innerHTML = banners.map(function (w) { return '<div>\u26a0 ' + esc(w) + '</div>'; }).join('');
      app.appendChild(b);
    }
    var main = el('main', 'sb-main');
    var mapDiv = el('div', 'sb-map');
    mapDiv.id = 'map';
    var panel = el('aside', 'sb-panel');
    panel.id = 'sb-panel';
    main.appendChild(mapDiv);
    main.appendChild(panel);
    app.appendChild(main);
    if (D.kind === 'plan') {
      var tl = el('footer', 'sb-timeline');
      tl.id = 'sb-timeline';
      app.appendChild(tl);
    }
    return { map: mapDiv, panel: panel };
  }

  function showAbout() {
    var dlg = document.getElementById('sb-about');
    if (!dlg) {
      dlg = el('dialog', 'sb-dialog');
      dlg.id = 'sb-about';
      var lic = document.getElementById('leaflet-licence');
      var licText = lic ? (lic.content ? lic.content.textContent : lic.textContent) : '';
      dlg.innerHTML = '<h2>' + esc(T.licences) + '</h2><p>' + esc(T.aboutText) + '</p>' +
        (D.forecast && (D.forecast.source || D.forecast.credit) ? '<p>' + esc(T.forecast) + ': ' +
          esc([D.forecast.source, D.forecast.credit].filter(Boolean).join(' \u2014 ')) + '</p>' : '') +
        '<h3>Leaflet ' + esc(D.leaflet_version) + '</h3><pre class="sb-licence"></pre>';
      dlg.querySelector('pre').textContent = licText;
      var close = el('button', 'sb-btn', esc(T.close));
      close.type = 'button';
      close.addEventListener('click', function () { dlg.close(); });
      dlg.appendChild(close);
      document.body.appendChild(dlg);
    }
    dlg.showModal();
  }

  // ---------- canvas layers ----------
  // A canvas redrawn after every move or zoom by a function of (context, project): for the
  // static base map and the density it is several times faster than one Leaflet layer per
  // polygon or cell. The canvas overhangs the view by a quarter on each side so that
  // panning shows no blank edge before the redraw.
  var CanvasLayer = L.Layer.extend({
    initialize: function (draw, options) { this._drawFn = draw; L.setOptions(this, options); },
    onAdd: function (map) {
      this._canvas = L.DomUtil.create('canvas', 'leaflet-zoom-hide');
      this._canvas.style.pointerEvents = 'none';
      this.getPane().appendChild(this._canvas);
      map.on('moveend resize', this.redraw, this);
      this.redraw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
      map.off('moveend resize', this.redraw, this);
    },
    // Several events in one frame (a fit is a zoom and a move) draw once, before the frame.
    redraw: function () {
      if (!this._frame) this._frame = L.Util.requestAnimFrame(this._redrawNow, this);
    },
    _redrawNow: function () {
      this._frame = null;
      var map = this._map, c = this._canvas;
      if (!map || !c) return;
      var size = map.getSize(), pad = 0.25, ratio = window.devicePixelRatio || 1;
      var w = Math.round(size.x * (1 + 2 * pad)), h = Math.round(size.y * (1 + 2 * pad));
      var ox = Math.round(-size.x * pad), oy = Math.round(-size.y * pad);
      c.width = w * ratio; c.height = h * ratio;
      c.style.width = w + 'px'; c.style.height = h + 'px';
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([ox, oy]));
      var g = c.getContext('2d');
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, w, h);
      var project = function (lat, lon) {
        var p = map.latLngToContainerPoint([lat, lon]);
        return [p.x - ox, p.y - oy];
      };
      this._drawFn(g, project, map, L.bounds([ox, oy], [ox + w, oy + h]));
    }
  });

  // Adds a GeoJSON geometry's rings and lines to the current path.
  function tracePath(g, project, geom) {
    if (!geom) return;
    var line = function (pts, close) {
      for (var i = 0; i < pts.length; i++) {
        var p = project(pts[i][1], pts[i][0]);
        if (i === 0) g.moveTo(p[0], p[1]); else g.lineTo(p[0], p[1]);
      }
      if (close) g.closePath();
    };
    var c = geom.coordinates;
    if (geom.type === 'Polygon') c.forEach(function (r) { line(r, true); });
    else if (geom.type === 'MultiPolygon') c.forEach(function (poly) { poly.forEach(function (r) { line(r, true); }); });
    else if (geom.type === 'LineString') line(c, false);
    else if (geom.type === 'MultiLineString') c.forEach(function (l) { line(l, false); });
  }

  function fillLayer(g, project, fc, style) {
    (fc ? fc.features : []).forEach(function (f) {
      var st = style(f.properties || {});
      if (!st) return;
      g.beginPath();
      tracePath(g, project, f.geometry);
      if (st.fill) { g.globalAlpha = st.fillOpacity == null ? 1 : st.fillOpacity; g.fillStyle = st.fill; g.fill('evenodd'); }
      if (st.stroke) {
        g.globalAlpha = st.opacity == null ? 1 : st.opacity;
        g.strokeStyle = st.stroke; g.lineWidth = st.weight || 1;
        g.setLineDash(st.dash || []);
        g.lineJoin = 'round'; g.lineCap = 'round';
        g.stroke();
      }
    });
    g.globalAlpha = 1;
    g.setLineDash([]);
  }

  // ---------- base map ----------
  function pane(map, name, z) {
    var p = map.createPane(name);
    p.style.zIndex = String(z);
    return p;
  }

  function baseMap(map) {
    var B = D.base || {};
    var lineRenderer = L.canvas({ pane: 'sb-prov', padding: 0.3 });
    var group = {};
    new CanvasLayer(function (g, project) {
      fillLayer(g, project, B.countries, function (p) {
        var a = p.ADM0_A3 || p.adm0_a3;
        return { fill: a === 'PRK' ? '#f6e5da' : a === 'KOR' ? '#f2f1ec' : '#e9e7e1' };
      });
      fillLayer(g, project, B.dmz, function () { return { fill: '#f2b04c', fillOpacity: 0.55 }; });
    }, { pane: 'sb-base' }).addTo(map);
    new CanvasLayer(function (g, project) {
      fillLayer(g, project, B.coastline, function () { return { stroke: '#6f8fa8', weight: 0.9 }; });
      fillLayer(g, project, B.borders, function (p) {
        if (p.kind === 'nk_sk_mdl_approx') return { stroke: '#9b1c1c', weight: 2, dash: [7, 4], opacity: 0.95 };
        if (p.kind === 'dmz_north_edge') return { stroke: '#c08a3e', weight: 0.8, opacity: 0.8 };
        return { stroke: '#4b5563', weight: 1.3, opacity: 0.9 };
      });
    }, { pane: 'sb-lines' }).addTo(map);
    if (B.provinces) {
      group.provinces = L.geoJSON(B.provinces, {
        renderer: lineRenderer,
        style: function () { return { color: '#b59c8a', weight: 0.8, dashArray: '3 3', fill: true, fillOpacity: 0, opacity: 0.9 }; },
        onEachFeature: function (f, layer) {
          var n = featName(f.properties);
          if (n) layer.bindTooltip(esc(n), { sticky: true, className: 'sb-tip' });
        }
      }).addTo(map);
      state.counts.provinces = B.provinces.features.length;
    }
    // Country names at fixed, readable spots (display only).
    var spots = { PRK: [40.2, 127.0], KOR: [36.3, 128.0], CHN: [42.3, 123.6], RUS: [44.3, 133.2], JPN: [35.0, 133.6] };
    Object.keys(spots).forEach(function (k) {
      L.marker(spots[k], {
        pane: 'sb-labels', interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'sb-country', html: esc(T.countries[k]), iconSize: null })
      }).addTo(map);
    });
    if (B.cities || B.places) {
      var cityLayer = L.layerGroup();
      var cities = [];
      // Each label appears from a zoom of its own: capitals and big cities always, towns of
      // a few thousand only close in, so that the map stays readable.
      (B.cities ? B.cities.features : []).forEach(function (f) {
        var g = f.geometry;
        if (!g || g.type !== 'Point') return;
        var p = f.properties || {};
        var rank = p.SCALERANK != null ? p.SCALERANK : (p.scalerank != null ? p.scalerank : 5);
        var m = L.marker([g.coordinates[1], g.coordinates[0]], {
          pane: 'sb-labels', interactive: false, keyboard: false,
          icon: L.divIcon({ className: 'sb-city', iconSize: null, html: '<i></i><span>' + esc(featName(p)) + '</span>' })
        });
        cities.push({ m: m, minZoom: rank <= 2 ? 0 : rank <= 4 ? 6.5 : rank <= 7 ? 7.5 : 8.5 });
      });
      // GeoNames places (page_data.rs: columns, positions delta-coded): Korean name first,
      // English beside it.
      var P = B.places;
      if (P) {
        var ll = undelta(P.ll);
        ll.forEach(function (pt, i) {
          var en = P.en[i], ko = P.ko[i], pop = P.pop[i];
          var minZoom = pop >= 1e6 ? 0 : pop >= 3e5 ? 7 : pop >= 1e5 ? 8 : pop >= 3e4 ? 9 : 10;
          var html = '<i></i><span>' + (ko ? esc(ko) + ' <small>' + esc(en) + '</small>' : esc(en)) + '</span>';
          var m = L.marker(pt, {
            pane: 'sb-labels', interactive: false, keyboard: false,
            icon: L.divIcon({ className: 'sb-city sb-place sb-place-' + (P.cc[i] === 'K' ? 'kr' : 'kp') + (minZoom === 0 ? ' sb-place-big' : ''), iconSize: null, html: html })
          });
          cities.push({ m: m, minZoom: minZoom });
        });
        state.counts.placesTotal = ll.length;
      }
      var showCities = function () {
        var z = map.getZoom();
        cities.forEach(function (c) {
          var on = z >= c.minZoom;
          if (on && !cityLayer.hasLayer(c.m)) cityLayer.addLayer(c.m);
          if (!on && cityLayer.hasLayer(c.m)) cityLayer.removeLayer(c.m);
        });
      };
      map.on('zoomend', showCities);
      state.showCities = showCities;
      group.cities = cityLayer.addTo(map);
      state.counts.citiesTotal = cities.length;
    }
    return group;
  }

  function credits(map) {
    var ac = map.attributionControl;
    ac.setPrefix(false);
    ac.addAttribution(esc(D.base_credit || 'Natural Earth'));
    var f = D.forecast || {};
    var fc = [f.source, f.credit].filter(Boolean);
    if (fc.length) ac.addAttribution(esc(T.forecast + ': ' + fc.join(' \u2014 ')));
    ac.addAttribution('Leaflet ' + esc(D.leaflet_version) + ' (BSD-2-Clause)');
  }

  function legend(map, kind) {
    var c = L.control({ position: 'bottomleft' });
    c.onAdd = function () {
      var d = el('div', 'sb-legend leaflet-bar');
      var rows = [];
      if (kind === 'plan') {
        CLASS_KEYS.forEach(function (k, i) {
          rows.push('<div><span class="sb-dot" style="background:' + CLASS_COLORS[i] + '"></span>' + esc(T.classes[i]) + '</div>');
        });
        rows.push('<div><span class="sb-ramp"></span>' + esc(T.density) + '</div>');
        rows.push('<div><span class="sb-line sb-line-50"></span>' + esc(T.layers.c50) + '</div>');
        rows.push('<div><span class="sb-line sb-line-90"></span>' + esc(T.layers.c90) + '</div>');
        rows.push('<div><span class="sb-site"></span>' + esc(T.site) + '</div>');
        if (D.target) rows.push('<div><span class="sb-star">\u2605</span>' + esc(T.target) + '</div>');
      } else {
        (D.stages || []).forEach(function (s, i) {
          rows.push('<div><span class="sb-line" style="border-color:' + STAGE_COLORS[i % STAGE_COLORS.length] + '"></span>' + esc(kindName(s.name) || (T.stages + ' ' + (i + 1))) + '</div>');
        });
      }
      rows.push('<div><span class="sb-line sb-line-mdl"></span>MDL</div>');
      d.innerHTML = '<details open><summary>' + esc(T.legend) + '</summary><div class="sb-legend-grid">' + rows.join('') + '</div></details>';
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    c.addTo(map);
    if (window.innerWidth < 900 || window.innerHeight < 560) {
      var det = document.querySelector('.sb-legend details');
      if (det) det.open = false;
    }
  }

  // ---------- plan ----------
  function densityColor(t) {
    // Yellow -> orange -> dark red, by share of the window's densest cell.
    var stops = [[255, 237, 160], [254, 178, 76], [240, 59, 32], [128, 0, 38]];
    var x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(x));
    var f = x - i;
    var c = stops[i].map(function (v, j) { return Math.round(v + (stops[i + 1][j] - v) * f); });
    return 'rgb(' + c.join(',') + ')';
  }

  function drawWindow(i) {
    var map = state.map;
    var w = D.windows[i];
    var L_ = state.windowLayers;
    Object.keys(L_).forEach(function (k) { if (k !== 'heat') L_[k].clearLayers(); });
    // Density.
    // Cells: [row - r0, col - c0, per cent of the densest cell], see page_data.rs.
    var cells = w.dens.cells, cs = w.dens.cell, r0 = w.dens.r0 || 0, c0 = w.dens.c0 || 0, k;
    state.heatData = { cells: cells, cs: cs, r0: r0, c0: c0 };
    state.heat.redraw();
    var nCells = cells.length / 3;
    // Contours.
    w.c90.forEach(function (r) {
      L.polyline(unchain(r, cs), { renderer: state.svgLines, color: '#7f1d1d', weight: 1.6, dashArray: '5 4', className: 'sb-c90', interactive: false }).addTo(L_.c90);
    });
    w.c50.forEach(function (r) {
      L.polyline(unchain(r, cs), { renderer: state.svgLines, color: '#7f1d1d', weight: 2.4, className: 'sb-c50', interactive: false }).addTo(L_.c50);
    });
    // Tracks.
    w.tracks.forEach(function (tr) {
      L.polyline(undelta(tr), { renderer: state.svgLines, color: '#334155', weight: 1.2, opacity: 0.45, className: 'sb-track', interactive: false }).addTo(L_.tracks);
    });
    // Towns at risk of a heavy intact fall, drawn under the landings (see riskDisc).
    var labels = D.labels || [];
    state.riskDiscs = [];
    (w.risk || []).forEach(function (r) {
      var en = labels[r[4]], ko = r[5] >= 0 ? labels[r[5]] : '';
      state.riskDiscs.push(riskDisc(L_.risk, r[0], r[1], r[2], riskText(en, ko, r[3], null),
        '\u26a0 ' + (ko || en) + ' ' + pct1(r[3]), state.svgPoints));
    });
    // Landings.
    var land = w.land;
    var label = function (arr, j) { var l = labels[arr[j]]; return l == null ? '' : (T.labels[l] || l); };
    for (k = 0; k + 2 < land.length; k += 3) {
      var cls = land[k + 2], j = k / 3;
      var extra = [w.pk && w.pk.length ? label(w.pk, j) : '', w.oc && w.oc.length ? label(w.oc, j) : ''].filter(Boolean).join(', ');
      L.circleMarker([land[k], land[k + 1]], {
        renderer: state.svgPoints, radius: 4, weight: 1, color: '#ffffff', opacity: 0.9,
        fillColor: CLASS_COLORS[cls] || CLASS_COLORS[4], fillOpacity: 0.9,
        className: 'sb-landing sb-cls-' + (CLASS_KEYS[cls] || 'other')
      }).bindTooltip('<b>' + esc(T.classes[cls] || T.classes[4]) + '</b>' + (extra ? ' \u00b7 ' + esc(extra) : '') + '<br>' + land[k].toFixed(3) + ', ' + land[k + 1].toFixed(3), { className: 'sb-tip' })
        .addTo(L_.landings);
    }
    state.counts.densityCells = nCells;
    state.selected = i;
    state.bars.forEach(function (b, j) {
      b.classList.toggle('sb-selected', j === i);
      b.setAttribute('aria-pressed', j === i ? 'true' : 'false');
    });
    panelPlan(i);
  }

  function probRow(i, p, n) {
    var w = p == null ? 0 : Math.round(p * 1000) / 10;
    return '<div class="sb-prow"><span class="sb-dot" style="background:' + CLASS_COLORS[i] + '"></span>' +
      '<span class="sb-plabel">' + esc(T.classes[i]) + '</span>' +
      '<span class="sb-pbar"><span style="width:' + w + '%;background:' + CLASS_COLORS[i] + '"></span></span>' +
      '<span class="sb-pval">' + pct(p) + '</span>' +
      '<span class="sb-pn">' + (n != null ? n : '') + '</span></div>';
  }

  function fcSection() {
    var f = D.forecast || {};
    var rows = [];
    if (f.source) rows.push([T.source, f.source]);
    if (f.credit) rows.push([T.credit, f.credit]);
    if (f.run_time) rows.push([T.run, f.run_time]);
    if (!rows.length) return '';
    return '<section><h3>' + esc(T.forecast) + '</h3><dl class="sb-kv">' + rows.map(function (r) {
      return '<dt>' + esc(r[0]) + '</dt><dd>' + esc(r[1]) + '</dd>';
    }).join('') + '</dl></section>';
  }

  function profileSection() {
    if (!D.profile || !D.profile.length) return '';
    return '<section><details><summary>' + esc(T.profile) + '</summary><dl class="sb-kv">' + D.profile.map(function (r) {
      return '<dt>' + esc(r[0]) + '</dt><dd>' + esc(r[1]) + '</dd>';
    }).join('') + '</dl></details></section>';
  }

  function panelPlan(i) {
    var w = D.windows[i];
    var panel = document.getElementById('sb-panel');
    var isBest = D.best === i;
    var html = '<section class="sb-window"><div class="sb-nav">' +
      '<button type="button" class="sb-btn" data-go="-1" aria-label="' + esc(T.prev) + '">\u2039</button>' +
      '<div class="sb-when"><div class="sb-label">' + esc(T.window) + ' ' + (i + 1) + '/' + D.windows.length +
      (isBest ? ' <span class="sb-badge">\u2605 ' + esc(T.best) + '</span>' : '') +
      (w.over ? ' <span class="sb-badge sb-badge-risk">\u26a0 ' + esc(T.riskTag) + '</span>' : '') + '</div>' +
      '<div class="sb-time">' + timeBoth(w.t) + '</div></div>' +
      '<button type="button" class="sb-btn" data-go="1" aria-label="' + esc(T.next) + '">\u203a</button></div>' +
      (D.best != null && !isBest ? '<button type="button" class="sb-btn sb-wide" data-best="1">\u2605 ' + esc(T.bestWindow) + '</button>' : '') +
      '</section>';
    html += riskSection(w);
    html += '<section class="sb-ptarget"><div class="sb-big">' + pct(w.pt) + '</div><div class="sb-label">' + esc(T.pTarget) +
      (D.target && D.target.label ? ': ' + esc(targetLabel()) : '') + '</div></section>';
    html += '<section><h3>' + esc(T.outcomes) + '</h3>' +
      w.p.map(function (p, c) { return probRow(c, p, w.n ? w.n[c] : null); }).join('') + '</section>';
    var lost = [];
    if (w.pu) lost.push([T.unresolved, pct(w.pu)]);
    if (w.pf) lost.push([T.failed, pct(w.pf)]);
    if (lost.length) {
      html += '<section><dl class="sb-kv sb-lost">' + lost.map(function (r) {
        return '<dt>' + esc(r[0]) + '</dt><dd>' + r[1] + '</dd>';
      }).join('') + '</dl></section>';
    }
    // A drift's own rows: hours to the North's coast, and where on it (province, nearest town).
    function shares(title, rows) {
      if (!rows || !rows.length) return '';
      return '<section><h3>' + esc(title) + '</h3><dl class="sb-kv">' +
        rows.map(function (r) { return '<dt>' + esc(r[0]) + '</dt><dd>' + pct(r[1]) + '</dd>'; }).join('') + '</dl></section>';
    }
    if (D.drift) {
      if (w.hn != null) html += '<section><h3>' + esc(T.hoursNorth) + '</h3><p>' + esc(w.hn) + ' h</p></section>';
      html += shares(T.byProvince, w.prov) + shares(T.byTown, w.town);
    }
    if (w.med != null || w.p90 != null) {
      html += '<section><h3>' + esc(T.distance) + '</h3><dl class="sb-kv"><dt>' + esc(T.median) + '</dt><dd>' + km(w.med) +
        '</dd><dt>' + esc(T.p90) + '</dt><dd>' + km(w.p90) + '</dd></dl></section>';
    }
    var plan = [];
    var st = siteOf(i);
    if (st) plan.push([T.site, (st.name || '') + ' (' + st.lat.toFixed(3) + ', ' + st.lon.toFixed(3) + ')']);
    if (D.target && D.target.label) plan.push([T.target, targetLabel()]);
    if (D.members != null) plan.push([T.members, D.members]);
    plan.push([T.windows, D.windows.length]);
    if (D.seed != null) plan.push([T.seed, D.seed]);
    html += '<section><dl class="sb-kv">' + plan.map(function (r) {
      return '<dt>' + esc(r[0]) + '</dt><dd>' + esc(r[1]) + '</dd>';
    }).join('') + '</dl></section>';
    html += fcSection() + profileSection();
    panel.innerHTML = html;
    panel.querySelectorAll('[data-go]').forEach(function (b) {
      b.addEventListener('click', function () {
        var j = state.selected + Number(b.getAttribute('data-go'));
        if (j >= 0 && j < D.windows.length) select(j);
      });
    });
    var bb = panel.querySelector('[data-best]');
    if (bb) bb.addEventListener('click', function () { select(D.best); });
    bindRiskButtons(panel);
  }

  // The panel's list of towns at risk; each opens its disc's popup.
  function riskSection(w) {
    var labels = D.labels || [];
    if (!w.risk && !w.ph && !w.over) return '';
    var rows = (w.risk || []).map(function (r, k) {
      var en = labels[r[4]], ko = r[5] >= 0 ? labels[r[5]] : '';
      return '<li><button type="button" class="sb-link" data-risk="' + k + '">' + esc(bothNames(en, ko)) + '</button> <b>' + pct1(r[3]) + '</b></li>';
    });
    return '<section class="sb-risk' + (w.over ? ' sb-risk-over' : '') + '"><h3>\u26a0 ' + esc(T.risk) + '</h3>' +
      (w.ph != null ? '<div><b>' + pct1(w.ph) + '</b> ' + esc(T.riskMembers) + '</div>' : '') +
      (w.over ? '<div class="sb-risk-note">' + esc(T.riskTag) + ': ' + esc(T.riskOver) + '</div>' : '') +
      (rows.length ? '<ul class="sb-risk-list">' + rows.join('') + '</ul>' : '') + '</section>';
  }
  function bindRiskButtons(panel) {
    panel.querySelectorAll('[data-risk]').forEach(function (b) {
      b.addEventListener('click', function () {
        var c = (state.riskDiscs || [])[Number(b.getAttribute('data-risk'))];
        if (c) { state.map.panTo(c.getLatLng()); c.openPopup(); }
      });
    });
  }

  function timeline() {
    var tl = document.getElementById('sb-timeline');
    var n = D.windows.length;
    var maxP = 0;
    D.windows.forEach(function (w) { if (w.pt != null) maxP = Math.max(maxP, w.pt); });
    var scale = maxP > 0 ? Math.min(1, Math.ceil(maxP * 10 + 1e-9) / 10) : 1;
    tl.innerHTML = '<div class="sb-tl-head"><span>' + esc(T.timeline) + '</span><span class="sb-muted">' +
      esc(T.pTarget) + ' max ' + pct(maxP) + '</span></div>' +
      '<div class="sb-tl-body"><div class="sb-tl-axis"><span>' + pct(scale) + '</span><span>0 %</span></div>' +
      '<div class="sb-tl-scroll"><div class="sb-tl-bars" role="toolbar"></div><div class="sb-tl-labels"></div></div></div>';
    var bars = tl.querySelector('.sb-tl-bars');
    var labels = tl.querySelector('.sb-tl-labels');
    var frag = document.createDocumentFragment();
    var lfrag = document.createDocumentFragment();
    var lastDay = null;
    D.windows.forEach(function (w, i) {
      var b = el('button', 'sb-bar' + (D.best === i ? ' sb-best' : '') + (w.over ? ' sb-risk' : ''));
      b.type = 'button';
      var kst = shortKst(w.t);
      b.title = (D.sites && w.si != null ? D.sites[w.si].name + ' \u00b7 ' : '') +
        (kst.day ? kst.day + ' ' + kst.hm + ' KST' : kst) + ' \u00b7 ' + T.pTarget + ' ' + pct(w.pt) +
        (w.over ? ' \u00b7 \u26a0 ' + T.riskTag + ' ' + pct1(w.ph || 0) : '');
      if (w.over) b.appendChild(el('span', 'sb-risk-mark', '!'));
      b.setAttribute('aria-label', b.title);
      var fill = el('span', 'sb-fill');
      fill.style.height = (w.pt == null ? 0 : Math.max(1.5, (w.pt / scale) * 100)) + '%';
      if (w.pt == null) b.classList.add('sb-nodata');
      b.appendChild(fill);
      b.addEventListener('click', function () { select(i); });
      frag.appendChild(b);
      var lab = el('span', 'sb-tick');
      // A new day shows its date (MM-DD) instead of the hour.
      // On a plan of several sites, the first window of each site shows the site's name.
      var newSite = D.sites && w.si != null && (i === 0 || D.windows[i - 1].si !== w.si);
      if (newSite) lab.setAttribute('data-label', D.sites[w.si].name);
      else if (kst.hm) lab.setAttribute('data-label', kst.day !== lastDay ? kst.day : kst.hm);
      lastDay = kst.day;
      lfrag.appendChild(lab);
      state.bars.push(b);
    });
    bars.appendChild(frag);
    labels.appendChild(lfrag);
    // Label every k-th bar so that labels (about 44 px) never collide; dates always win.
    var barW = Math.max(1, bars.scrollWidth / Math.max(1, n));
    var every = Math.max(1, Math.ceil(46 / barW));
    var lastShown = -every;
    Array.prototype.forEach.call(labels.children, function (lab, i) {
      var text = lab.getAttribute('data-label');
      if (!text) return;
      var isDate = text.indexOf('-') > 0;
      if (i - lastShown >= every && (isDate || i % every === 0)) {
        lab.textContent = text;
        if (isDate) lab.classList.add('sb-date');
        lastShown = i;
      }
    });
    var first = shortKst(D.windows[0].t), last = shortKst(D.windows[n - 1].t);
    if (first.day) {
      tl.querySelector('.sb-tl-head span').textContent = T.timeline + ' \u00b7 ' + first.day + ' ' + first.hm + ' \u2013 ' + last.day + ' ' + last.hm;
    }
    tl.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowLeft' && state.selected > 0) { select(state.selected - 1); e.preventDefault(); }
      if (e.key === 'ArrowRight' && state.selected < n - 1) { select(state.selected + 1); e.preventDefault(); }
    });
  }

  // The launch site of window i: its own on a plan of several sites, else the plan's.
  function siteOf(i) {
    var w = D.windows[i];
    return D.sites && w && w.si != null ? D.sites[w.si] : D.site;
  }

  // On a plan of several sites, marks and names the site window i launches from: one
  // highlighted marker with a permanent label moves to it (the others keep a hover label).
  function siteMarks(i) {
    var w = D.windows[i];
    if (!state.siteNow || !w || w.si == null) return;
    var st = D.sites[w.si];
    state.siteNow.setLatLng([st.lat, st.lon]).setTooltipContent(esc(T.site + ': ' + st.name));
  }

  function select(i) {
    drawWindow(i);
    siteMarks(i);
    var b = state.bars[i];
    if (b) {
      if (document.activeElement && document.activeElement.classList.contains('sb-bar')) b.focus({ preventScroll: true });
      var sc = b.parentNode.parentNode;
      var left = b.offsetLeft, right = left + b.offsetWidth;
      if (left < sc.scrollLeft || right > sc.scrollLeft + sc.clientWidth) sc.scrollLeft = left - sc.clientWidth / 2;
    }
  }

  function planMap(map) {
    state.heat = new CanvasLayer(function (g, project, map, px) {
      var d = state.heatData;
      if (!d) return;
      for (var k = 0; k + 2 < d.cells.length; k += 3) {
        var s = (d.cells[k] + d.r0) * d.cs, w = (d.cells[k + 1] + d.c0) * d.cs;
        var p1 = project(s + d.cs, w), p2 = project(s, w + d.cs);
        if (p2[0] < 0 || p1[0] > px.max.x - px.min.x || p2[1] < 0 || p1[1] > px.max.y - px.min.y) continue;
        var t = Math.sqrt(d.cells[k + 2] / 99);
        g.globalAlpha = 0.15 + 0.55 * t;
        g.fillStyle = densityColor(t);
        g.fillRect(p1[0], p1[1], Math.max(1, p2[0] - p1[0]), Math.max(1, p2[1] - p1[1]));
      }
      g.globalAlpha = 1;
    }, { pane: 'sb-heat' });
    state.svgLines = L.svg({ pane: 'sb-tracks', padding: 0.3 });
    state.svgPoints = L.canvas({ pane: 'sb-points', padding: 0.3, tolerance: 3 });
    state.windowLayers = {
      heat: L.layerGroup([state.heat]).addTo(map), c90: L.layerGroup().addTo(map), c50: L.layerGroup().addTo(map),
      tracks: L.layerGroup().addTo(map), landings: L.layerGroup().addTo(map), risk: L.layerGroup().addTo(map)
    };
    var bounds = L.latLngBounds([]);
    if (D.sites) {
      // Several sites: a marker each; the selected window's site is marked and named
      // (siteMarks, on each window change).
      D.sites.forEach(function (st) {
        bounds.extend([st.lat, st.lon]);
        L.circleMarker([st.lat, st.lon], { pane: 'sb-marks', radius: 5, color: '#475569', weight: 2, fillColor: '#ffffff', fillOpacity: 1, className: 'sb-site-marker' })
          .bindTooltip(esc(T.site + ': ' + st.name), { direction: 'right', className: 'sb-tip', offset: [8, 0] })
          .addTo(map);
      });
      state.siteNow = L.circleMarker([D.sites[0].lat, D.sites[0].lon], { pane: 'sb-marks', radius: 8, color: '#111827', weight: 3, fillColor: '#ffffff', fillOpacity: 1, className: 'sb-site-now' })
        .bindTooltip('', { permanent: true, direction: 'right', className: 'sb-tip sb-tip-strong sb-site-current', offset: [10, 0] })
        .addTo(map);
    } else if (D.site) {
      L.circleMarker([D.site.lat, D.site.lon], { pane: 'sb-marks', radius: 7, color: '#111827', weight: 3, fillColor: '#ffffff', fillOpacity: 1, className: 'sb-site-marker' })
        .bindTooltip(esc(T.site + (D.site.name ? ': ' + D.site.name : '')), { permanent: true, direction: 'right', className: 'sb-tip sb-tip-strong', offset: [8, 0] })
        .addTo(map);
      bounds.extend([D.site.lat, D.site.lon]);
    }
    var tg = D.target;
    if (tg) {
      if (tg.geometry) {
        var g = L.geoJSON(tg.geometry, { pane: 'sb-marks', style: function () { return { color: '#b7791f', weight: 3, fill: false }; } }).addTo(map);
        bounds.extend(g.getBounds());
      }
      if (tg.kind === 'north' && D.base && D.base.countries) {
        D.base.countries.features.forEach(function (f) {
          if ((f.properties || {}).ADM0_A3 === 'PRK') {
            L.geoJSON(f, { pane: 'sb-lines', interactive: false, style: function () { return { color: '#b7791f', weight: 2.5, opacity: 0.8, fill: false, className: 'sb-target-area' }; } }).addTo(map);
          }
        });
      }
      if (tg.province && D.base && D.base.provinces) {
        D.base.provinces.features.forEach(function (f) {
          var p = f.properties || {};
          if ([p.name, p.NAME, p.name_en, p.NAME_EN, p.name_ko].indexOf(tg.province) >= 0) {
            var pl = L.geoJSON(f, { pane: 'sb-marks', interactive: false, style: function () { return { color: '#b7791f', weight: 3, fill: false, className: 'sb-target-area' }; } }).addTo(map);
            bounds.extend(pl.getBounds());
          }
        });
      }
      if (tg.lat != null) {
        if (tg.radius_km) {
          L.circle([tg.lat, tg.lon], { pane: 'sb-marks', radius: tg.radius_km * 1000, color: '#b7791f', weight: 2, dashArray: '6 4', fillOpacity: 0.05, interactive: false }).addTo(map);
        }
        L.marker([tg.lat, tg.lon], { pane: 'sb-marks', keyboard: false, icon: L.divIcon({ className: 'sb-target', html: '\u2605', iconSize: [22, 22], iconAnchor: [11, 12] }) })
          .bindTooltip(esc(T.target + (tg.label ? ': ' + targetLabel() : '')), { permanent: true, direction: 'right', className: 'sb-tip sb-tip-strong', offset: [10, 0] })
          .addTo(map);
        bounds.extend([tg.lat, tg.lon]);
      }
    }
    var first = D.best != null ? D.best : 0;
    var w = D.windows[first];
    for (var k = 0; k + 2 < w.land.length; k += 3) bounds.extend([w.land[k], w.land[k + 1]]);
    return bounds;
  }

  // ---------- prediction ----------
  function predictionMap(map) {
    var bounds = L.latLngBounds([]);
    var lines = L.svg({ pane: 'sb-tracks', padding: 0.3 });
    var track = L.layerGroup().addTo(map);
    (D.stages || []).forEach(function (s, i) {
      var pts = pairs(s.pts);
      if (!pts.length) return;
      var color = STAGE_COLORS[i % STAGE_COLORS.length];
      L.polyline(pts, { renderer: lines, color: '#ffffff', weight: 6, opacity: 0.8, interactive: false }).addTo(track);
      L.polyline(pts, { renderer: lines, color: color, weight: 3, className: 'sb-stage' })
        .bindTooltip(esc((kindName(s.name) || T.stages + ' ' + (i + 1)) + (s.alt_max != null ? ' \u00b7 ' + T.maxAlt + ' ' + Math.round(s.alt_max) + ' m' : '')), { sticky: true, className: 'sb-tip' })
        .addTo(track);
      pts.forEach(function (p) { bounds.extend(p); });
    });
    state.overlays[T.layers.track] = track;
    var ev = L.layerGroup().addTo(map);
    (D.events || []).forEach(function (e) {
      L.circleMarker([e.lat, e.lon], { pane: 'sb-marks', radius: 6, color: '#111827', weight: 2, fillColor: '#fde047', fillOpacity: 1, className: 'sb-event' })
        .bindTooltip(esc(kindName(e.kind) + (e.alt != null ? ' \u00b7 ' + Math.round(e.alt) + ' m' : '')), { permanent: true, direction: 'top', className: 'sb-tip', offset: [0, -6] })
        .addTo(ev);
    });
    state.overlays[T.layers.events] = ev;
    if (D.launch) {
      L.circleMarker([D.launch.lat, D.launch.lon], { pane: 'sb-marks', radius: 7, color: '#111827', weight: 3, fillColor: '#fff', fillOpacity: 1, className: 'sb-site-marker' })
        .bindTooltip(esc(T.launch), { permanent: true, direction: 'left', className: 'sb-tip sb-tip-strong', offset: [-8, 0] }).addTo(map);
      bounds.extend([D.launch.lat, D.launch.lon]);
    }
    (D.landings || []).forEach(function (l) {
      if (D.landing && l.lat === D.landing.lat && l.lon === D.landing.lon) return;
      L.circleMarker([l.lat, l.lon], { pane: 'sb-marks', radius: 6, color: '#111827', weight: 2, fillColor: CLASS_COLORS[l.cls] || CLASS_COLORS[4], fillOpacity: 0.9, className: 'sb-landing-other' })
        .bindTooltip(esc(kindName(l.payload) + ': ' + (T.classes[l.cls] || T.classes[4])), { direction: 'right', className: 'sb-tip', offset: [8, 0] }).addTo(map);
      bounds.extend([l.lat, l.lon]);
    });
    // A heavy intact fall in a populated South Korean place: its disc.
    var risk = L.layerGroup().addTo(map), seen = {};
    state.riskDiscs = [];
    [D.landing].concat(D.landings || []).forEach(function (l) {
      var r = l && l.risk;
      if (!r || r.lat == null || seen[r.en + r.lat]) return;
      seen[r.en + r.lat] = true;
      state.riskDiscs.push(riskDisc(risk, r.lat, r.lon, r.r, riskText(r.en, r.ko, null, r.pop), '\u26a0 ' + (r.ko || r.en)));
      bounds.extend([r.lat, r.lon]);
    });
    if (state.riskDiscs.length) state.overlays[T.riskLayer] = risk;
    if (D.landing) {
      var c = D.landing.cls;
      L.circleMarker([D.landing.lat, D.landing.lon], { pane: 'sb-marks', radius: 8, color: '#111827', weight: 2.5, fillColor: CLASS_COLORS[c] || CLASS_COLORS[4], fillOpacity: 1, className: 'sb-landing-final' })
        .bindTooltip(esc((D.landing.payload ? kindName(D.landing.payload) : T.landing) + ': ' + (T.classes[c] || T.classes[4])), { permanent: true, direction: 'right', className: 'sb-tip sb-tip-strong', offset: [10, 0] }).addTo(map);
      bounds.extend([D.landing.lat, D.landing.lon]);
    }
    panelPrediction();
    return bounds;
  }

  // A province named by the flight (Natural Earth spelling), in the page's language.
  function provinceName(name) {
    var fs = (D.base && D.base.provinces && D.base.provinces.features) || [];
    for (var i = 0; i < fs.length; i++) {
      var p = fs[i].properties || {};
      if ([p.name, p.NAME, p.name_en, p.NAME_EN, p.name_ko].indexOf(name) >= 0) return featName(p) || name;
    }
    return name;
  }

  function panelPrediction() {
    var panel = document.getElementById('sb-panel');
    var html = '';
    var ld = D.landing;
    if (ld) {
      var c = ld.cls;
      html += '<section class="sb-ptarget"><div class="sb-label">' + esc(T.landing) + '</div><div class="sb-big" style="color:' +
        (CLASS_COLORS[c] || CLASS_COLORS[4]) + '">' + esc(T.classes[c] || T.classes[4]) + '</div>' +
        (ld.outcome ? '<div class="sb-outcome">' + esc(kindName(ld.outcome)) + (ld.payload ? ' \u00b7 ' + esc(kindName(ld.payload)) : '') + '</div>' : '') +
        (ld.province ? '<div>' + esc(T.province) + ': ' + esc(provinceName(ld.province)) + '</div>' : '') +
        '<div class="sb-muted">' + ld.lat.toFixed(4) + ', ' + ld.lon.toFixed(4) +
        (ld.alt != null && ld.alt > 50 ? ' \u00b7 ' + esc(T.altitude) + ' ' + Math.round(ld.alt) + ' m' : '') + '</div>' +
        (ld.distance_km != null && D.target ? '<div>' + km(ld.distance_km) + ' ' + esc(T.fromTarget) + '</div>' : '') +
        (ld.nk_city ? '<div class="sb-muted">' + esc(T.nearestNk) + ': ' + esc(ld.nk_city) + (ld.nk_city_km ? ' (' + esc(ld.nk_city_km) + ' km)' : '') + '</div>' : '') +
        (ld.time ? '<div>' + timeBoth(ld.time) + '</div>' : '') + '</section>';
    }
    if (D.launch) {
      html += '<section><h3>' + esc(T.launch) + '</h3><div>' + timeBoth(D.launch.time) + '</div><div class="sb-muted">' +
        D.launch.lat.toFixed(4) + ', ' + D.launch.lon.toFixed(4) + (D.launch.alt != null ? ' \u00b7 ' + D.launch.alt + ' m' : '') + '</div></section>';
    }
    if (D.events && D.events.length) {
      html += '<section><h3>' + esc(T.events) + '</h3><dl class="sb-kv">' + D.events.map(function (e) {
        return '<dt>' + esc(kindName(e.kind)) + '</dt><dd>' + (e.alt != null ? esc(e.alt) + ' m \u00b7 ' : '') + timeBoth(e.time) + '</dd>';
      }).join('') + '</dl></section>';
    }
    if (D.stages && D.stages.length) {
      html += '<section><h3>' + esc(T.stages) + '</h3>' + D.stages.map(function (s, i) {
        return '<div class="sb-prow"><span class="sb-line" style="border-color:' + STAGE_COLORS[i % STAGE_COLORS.length] + '"></span>' +
          '<span class="sb-stage-name">' + esc(kindName(s.name) || i + 1) + '</span><span class="sb-stage-alt">' +
          (s.alt_max != null ? esc(T.maxAlt) + ' ' + Math.round(s.alt_max).toLocaleString('en-US') + ' m' : '') + '</span></div>';
      }).join('') + '</section>';
    }
    html += fcSection() + profileSection();
    panel.innerHTML = predRiskSection() + html;
    bindRiskButtons(panel);
  }

  function predRiskSection() {
    var rows = [], seen = {}, k = 0;
    [D.landing].concat(D.landings || []).forEach(function (l) {
      var r = l && l.risk;
      if (!r || seen[r.en + r.lat]) return;
      seen[r.en + r.lat] = true;
      var name = esc(bothNames(r.en, r.ko)) + (r.pop ? ' <span class="sb-muted">(' + r.pop.toLocaleString('en-US') + ')</span>' : '');
      rows.push('<li>' + (r.lat != null ? '<button type="button" class="sb-link" data-risk="' + (k++) + '">' + name + '</button>' : name) +
        ' \u00b7 ' + esc(kindName(l.payload) || T.landing) + '</li>');
    });
    if (!rows.length) return '';
    return '<section class="sb-risk sb-risk-over"><h3>\u26a0 ' + esc(T.risk) + '</h3><div>' + esc(T.riskHere) +
      '</div><ul class="sb-risk-list">' + rows.join('') + '</ul></section>';
  }

  // ---------- main ----------
  function main() {
    var parts = layout();
    performance.mark('sb-layout');
    var map = L.map(parts.map, { zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 5, maxZoom: 13, worldCopyJump: false, maxBounds: [[28, 112], [50, 142]] });
    state.map = map;
    pane(map, 'sb-base', 210);
    pane(map, 'sb-prov', 260);
    pane(map, 'sb-lines', 300);
    pane(map, 'sb-heat', 350);
    pane(map, 'sb-tracks', 420);
    pane(map, 'sb-labels', 440);
    pane(map, 'sb-points', 450);
    // Above the landings so that a disc's popup opens on a click anywhere in it.
    pane(map, 'sb-risk', 460);
    pane(map, 'sb-marks', 620);
    // A provisional view (Leaflet's markers need one when added); the fit below happens in
    // the same frame, and the canvas layers draw once per frame.
    map.setView([38.3, 127.2], 7, { animate: false });
    var base = baseMap(map);
    performance.mark('sb-basemap');
    credits(map);
    L.control.scale({ imperial: false, position: 'bottomright', maxWidth: 140 }).addTo(map);
    var bounds;
    if (D.kind === 'plan') {
      bounds = planMap(map);
      performance.mark('sb-planmap');
      timeline();
      performance.mark('sb-timeline');
      var ov = {};
      ov[T.layers.heat] = state.windowLayers.heat;
      ov[T.layers.c50] = state.windowLayers.c50;
      ov[T.layers.c90] = state.windowLayers.c90;
      ov[T.layers.tracks] = state.windowLayers.tracks;
      ov[T.layers.landings] = state.windowLayers.landings;
      ov[T.riskLayer] = state.windowLayers.risk;
      state.overlays = ov;
    } else {
      bounds = predictionMap(map);
    }
    if (base.provinces) state.overlays[T.layers.provinces] = base.provinces;
    if (base.cities) state.overlays[T.layers.cities] = base.cities;
    L.control.layers(null, state.overlays, { collapsed: window.innerWidth < 1100 || window.innerHeight < 700, position: 'topright' }).addTo(map);
    legend(map, D.kind);
    performance.mark('sb-controls');
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 10, animate: false });
    performance.mark('sb-base');
    if (state.showCities) state.showCities();
    if (D.kind === 'plan') select(D.best != null ? D.best : 0);
    performance.mark('sb-window');
  }

  function counts() {
    var q = function (s) { return document.querySelectorAll(s).length; };
    return {
      landings: state.windowLayers ? state.windowLayers.landings.getLayers().length : 0, tracks: q('path.sb-track'), contours50: q('path.sb-c50'), contours90: q('path.sb-c90'),
      densityCells: state.counts.densityCells || 0, bars: q('.sb-bar'), provinces: state.counts.provinces || 0,
      cities: q('.sb-city'), stages: q('path.sb-stage'), events: q('path.sb-event'), selected: state.selected,
      mapPanes: q('.leaflet-pane'), canvases: q('canvas'), baseFeatures: state.counts.baseFeatures || 0,
      places: q('.sb-place'), placesTotal: state.counts.placesTotal || 0, riskDiscs: (state.riskDiscs || []).filter(function (c) { return state.map.hasLayer(c); }).length,
      riskBars: q('.sb-bar.sb-risk'), siteMarkers: q('path.sb-site-marker'),
      siteNow: (document.querySelector('.sb-site-current') || {}).textContent || null, risk: (state.riskDiscs || []).map(function (c) { return c.getPopup().getContent(); })
    };
  }

  try {
    main();
    window.saebaramMap = { ready: true, kind: D.kind, select: select, counts: counts, map: state.map };
    requestAnimationFrame(function () {
      performance.mark('saebaram-ready');
      window.saebaramMap.readyMs = performance.now();
      document.documentElement.setAttribute('data-ready', '1');
    });
  } catch (e) {
    var box = el('div', 'sb-error', esc(T.error) + esc(e && e.message));
    document.body.insertBefore(box, document.body.firstChild);
    throw e;
  }
})();
