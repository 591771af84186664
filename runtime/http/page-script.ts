/**
 * The status page's script (browser JavaScript, served inline by `page.ts`). It listens to `/events` (Server-Sent
 * Events): `status` carries the whole status (on every connect, so a reconnect resyncs), `mailbox` one mailbox's new
 * entry. It builds the cards with DOM calls and `textContent` only (never HTML from data), marks the current state on
 * each card's diagram, and ticks the countdowns once a second against the server's clock.
 *
 * @module
 */

/**
 * The script's source text.
 *
 * @example
 * ```ts
 * const html = `<script>${PAGE_SCRIPT}</script>`;
 * ```
 */
export const PAGE_SCRIPT = `
(() => {
  'use strict';
  const main = document.getElementById('cards');
  const overall = document.getElementById('overall');
  const live = document.getElementById('live');
  const template = document.getElementById('diagram-template');
  const cards = new Map();
  let offset = 0; // the server's clock minus the browser's
  let serial = 0;
  const serverNow = () => Date.now() + offset;

  const HEALTH_TEXT = {
    ok: 'Healthy',
    degraded: 'Degraded',
    failing: 'Failing',
    notRunning: 'Not run by this process',
  };
  const OVERALL_TEXT = { ok: 'All mailboxes healthy', degraded: 'Degraded', failing: 'Failing' };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 120) return m + ' min ' + (s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }

  function time(ms) {
    return new Date(ms).toLocaleTimeString();
  }

  function fact(list, label, field) {
    const dt = el('dt', '', label);
    const dd = el('dd', '', '—');
    dd.dataset.field = field;
    list.append(dt, dd);
    return { dt, dd };
  }

  function createCard(entry) {
    const id = 'card-' + ++serial;
    const card = el('article', 'card');
    card.dataset.mailbox = entry.mailboxId;
    card.setAttribute('aria-labelledby', id + '-title');

    const head = el('header', 'card-head');
    const title = el('h2', '', entry.mailboxId);
    title.id = id + '-title';
    title.append(' ', el('span', 'service', entry.service));
    const state = el('span', 'badge');
    state.dataset.field = 'state';
    head.append(title, state);

    const health = el('p', 'health');
    health.dataset.field = 'health';

    const figure = el('figure', 'diagram');
    figure.append(template.content.firstElementChild.cloneNode(true));

    const facts = el('dl', 'facts');
    const f = {
      attempt: fact(facts, 'Attempt', 'attempt'),
      next: fact(facts, 'Next attempt', 'next'),
      check: fact(facts, 'Last successful check', 'check'),
      connected: fact(facts, 'Connected since', 'connected'),
      error: fact(facts, 'Last error', 'error'),
      owner: fact(facts, 'Owner (scale-out)', 'owner'),
    };

    const table = el('table', 'counters');
    table.append(el('caption', '', 'Messages (journal)'));
    const headRow = el('tr');
    const bodyRow = el('tr');
    const counterCells = {};
    for (const [key, label] of [
      ['discovered', 'discovered'],
      ['handled', 'handled'],
      ['failed', 'failed'],
      ['deadLettered', 'dead-lettered'],
      ['attempts', 'connection attempts'],
    ]) {
      const th = el('th', '', label);
      th.scope = 'col';
      headRow.append(th);
      const td = el('td', '', '0');
      td.dataset.field = 'counter-' + key;
      bodyRow.append(td);
      counterCells[key] = td;
    }
    const thead = el('thead');
    thead.append(headRow);
    const tbody = el('tbody');
    tbody.append(bodyRow);
    table.append(thead, tbody);

    const eventsTitle = el('h3', '', 'Recent events');
    const events = el('ol', 'events');
    events.dataset.field = 'events';

    card.append(head, health, figure, facts, table, eventsTitle, events);
    main.append(card);
    return { card, state, health, figure, facts: f, counterCells, events, entry };
  }

  function setFact(item, text, visible) {
    item.dd.textContent = text;
    item.dt.hidden = item.dd.hidden = visible === false;
  }

  function renderTimes(view) {
    const e = view.entry;
    const now = serverNow();
    setFact(view.facts.next, e.nextAttemptAt === null ? '—' : 'in ' + duration(e.nextAttemptAt - now));
    const last = e.state === 'polling' ? (e.lastCheckAt !== null ? e.lastCheckAt : e.connectedAt) : e.lastCheckAt;
    setFact(view.facts.check, last === null ? '—' : duration(now - last) + ' ago');
    setFact(view.facts.connected, e.connectedAt === null ? '—' : time(e.connectedAt));
  }

  function renderEvents(list, recent) {
    const items = [];
    for (let i = recent.length - 1; i >= 0; i--) {
      const r = recent[i];
      const li = el('li', 'event ev-' + r.type.replace(/[^a-zA-Z]/g, '-'));
      const at = el('time', '', time(r.at));
      at.dateTime = new Date(r.at).toISOString();
      li.append(at, ' ', el('span', 'what', r.text));
      if (r.subject !== undefined || r.from !== undefined) {
        const mail = el('span', 'mail');
        if (r.subject !== undefined) mail.append('“' + r.subject + '”');
        if (r.from !== undefined) mail.append((r.subject !== undefined ? ' from ' : 'from ') + r.from);
        li.append(' ', mail);
      }
      items.push(li);
    }
    if (items.length === 0) items.push(el('li', 'empty', 'No events yet.'));
    list.replaceChildren(...items);
  }

  function updateCard(entry) {
    let view = cards.get(entry.mailboxId);
    if (!view) {
      view = createCard(entry);
      cards.set(entry.mailboxId, view);
    }
    view.entry = entry;
    view.card.dataset.state = entry.state;
    view.state.textContent = entry.state;
    view.state.className = 'badge state-' + entry.state;
    view.health.textContent = HEALTH_TEXT[entry.health.level] + (entry.health.reason ? ': ' + entry.health.reason : '');
    view.health.className = 'health health-' + entry.health.level;
    view.card.dataset.health = entry.health.level;

    const svg = view.figure.querySelector('svg');
    for (const node of svg.querySelectorAll('[data-state]')) {
      node.classList.toggle('current', node.dataset.state === entry.state);
    }
    svg.setAttribute('aria-label', 'State diagram of mailbox ' + entry.mailboxId + '; current state: ' + entry.state);

    setFact(view.facts.attempt, String(entry.attempt));
    const error = entry.lastError;
    if (error) {
      const code = el('code', '', error.code);
      view.facts.error.dd.replaceChildren(code, ' ' + error.message + (error.at ? ' (' + time(error.at) + ')' : ''));
      view.facts.error.dt.hidden = view.facts.error.dd.hidden = false;
    } else {
      setFact(view.facts.error, 'none');
    }
    setFact(view.facts.owner, entry.owner === undefined ? '' : entry.owner === null ? 'nobody' : entry.owner, entry.owner !== undefined);
    for (const key of Object.keys(view.counterCells)) view.counterCells[key].textContent = String(entry.counters[key]);
    renderEvents(view.events, entry.recent);
    renderTimes(view);
  }

  function renderOverall(health) {
    const failing = [];
    const degraded = [];
    for (const [id, view] of cards) {
      if (view.entry.health.level === 'failing') failing.push(id);
      if (view.entry.health.level === 'degraded') degraded.push(id);
    }
    const parts = [];
    if (failing.length) parts.push('Failing: ' + failing.join(', '));
    if (degraded.length) parts.push((failing.length ? 'degraded: ' : 'Degraded: ') + degraded.join(', '));
    const text = parts.length ? parts.join(' · ') : OVERALL_TEXT[health.status];
    overall.textContent = text;
    overall.className = 'overall health-' + health.status;
    document.body.dataset.health = health.status;
  }

  function onStatus(status) {
    offset = status.now - Date.now();
    const ids = new Set();
    for (const entry of status.mailboxes) {
      ids.add(entry.mailboxId);
      updateCard(entry);
    }
    for (const [id, view] of cards) {
      if (!ids.has(id)) {
        view.card.remove();
        cards.delete(id);
      }
    }
    renderOverall(status.health);
  }

  const source = new EventSource('events');
  source.addEventListener('status', (e) => onStatus(JSON.parse(e.data)));
  source.addEventListener('mailbox', (e) => {
    const data = JSON.parse(e.data);
    offset = data.now - Date.now();
    updateCard(data.mailbox);
    renderOverall(data.health);
  });
  source.addEventListener('open', () => {
    live.textContent = 'Live';
    live.className = 'live on';
  });
  source.addEventListener('error', () => {
    live.textContent = 'Reconnecting…';
    live.className = 'live off';
  });
  setInterval(() => {
    for (const view of cards.values()) renderTimes(view);
  }, 1000);
})();
`;
