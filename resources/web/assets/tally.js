// The audience pages of Tally: the open polls (/) and one poll's voting page
// (/p/{id}). Plain DOM, no framework. Everything comes from the public REST and
// WebSocket API under the prefix the server wrote into <body data-api>. User text is
// only ever set through textContent.

const api = document.body.dataset.api ?? '/api/v1';
const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(api + path, init);
  let json = null;
  try {
    json = await response.json();
  } catch {
    // 204 and non-JSON answers carry nothing we use
  }
  return { status: response.status, ok: response.ok, json };
}

// One WebSocket to the server that reopens itself with backoff (0.5 s doubling to
// 15 s, with jitter) and says what it is doing.
class LiveSocket {
  constructor({ onOpen, onMessage, onState }) {
    this.onOpen = onOpen;
    this.onMessage = onMessage;
    this.onState = onState;
    this.delay = 500;
    this.socket = null;
    this.opened = 0;
  }

  get live() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}${api}/ws`);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 500;
      this.onState('live');
      this.onOpen(this.opened++ > 0);
    };
    socket.onmessage = (event) => {
      try {
        this.onMessage(JSON.parse(event.data));
      } catch (error) {
        console.warn('Tally: unreadable message', error);
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      const wait = this.delay * (0.75 + Math.random() * 0.5);
      this.delay = Math.min(this.delay * 2, 15000);
      this.onState('reconnecting', wait);
      setTimeout(() => this.connect(), wait);
    };
  }

  send(message) {
    if (!this.live) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }
}

function showConnection(state) {
  const label = $('connection');
  label.textContent = state === 'live' ? 'Live' : 'Reconnecting…';
  label.dataset.state = state;
}

// The browser's voter id: random, kept in localStorage, sent with every vote so that
// one-vote-per-voter polls can tell a second vote from this browser.
function voterId() {
  const key = 'tally.voter';
  try {
    let id = localStorage.getItem(key);
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem(key, id);
    }
    return id;
  } catch {
    voterId.fallback ??= String(Math.random()).slice(2) + String(Date.now());
    return voterId.fallback;
  }
}

function remember(key, value) {
  try {
    if (value === undefined) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch {
    // storage disabled: nothing is remembered across reloads
  }
  return null;
}

const votesWord = (n) => (n === 1 ? '1 vote' : `${n.toLocaleString()} votes`);
const votersWord = (n) => (n === 1 ? '1 voter' : `${n.toLocaleString()} voters`);

// "4:59" or "1:02:03" for a number of seconds.
function clock(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

// ---------------------------------------------------------------- voting page

function pollPage() {
  const pollId = decodeURIComponent(location.pathname.replace(/^\/p\//, '').replace(/\/$/, ''));
  const path = encodeURIComponent(pollId);
  const votedKey = `tally.voted.${pollId}`;
  let poll = null;
  let counts = {};
  let total = 0;
  let voters = null; // votes cast, when the server says (several choices make total larger)
  let hidden = false; // the audience does not see the counts now (by the poll's settings)
  let withheld = false; // the server sent results_hidden instead of counts
  let countdownTimer = 0;
  let seq = -1;
  let ref = 0;
  const pending = new Map(); // ref -> option id
  let gone = false;
  let lastAnnounce = 0;
  let announceTimer = 0;

  const live = new LiveSocket({
    onOpen: (reopened) => {
      seq = -1; // a new connection (or a restarted server) counts afresh
      live.send({ type: 'subscribe', poll_id: pollId });
      live.send({ type: 'subscribe', channel: 'polls' });
      if (reopened) loadPoll(); // it may have closed while we were away
    },
    onMessage,
    onState: (state) => {
      showConnection(state);
      if (state !== 'live' && pending.size) {
        pending.clear();
        say('The connection dropped before your vote was confirmed. Please vote again.');
        setBusy(false);
      }
    },
  });

  function say(text, tone = '') {
    const message = $('message');
    message.textContent = text;
    message.dataset.tone = tone;
  }

  function showMissing(deleted) {
    gone = true;
    $('loading').hidden = true;
    $('poll').hidden = true;
    $('missing').hidden = false;
    $('missing-title').textContent = deleted ? 'This poll was deleted' : 'This poll does not exist';
    document.title = 'Poll not found · Tally';
  }

  const maxChoices = () => Math.max(1, poll?.max_choices ?? 1);
  const multiple = () => maxChoices() > 1;

  function setBusy(busy) {
    for (const button of $('options').querySelectorAll('button')) button.disabled = busy;
    $('submit-choices').disabled = busy || checkedOptions().length === 0;
    if (busy) for (const box of $('options').querySelectorAll('input')) box.disabled = true;
    else limitChoices();
  }

  function checkedOptions() {
    return Array.from($('options').querySelectorAll('input:checked'), (box) => box.value);
  }

  // At most max_choices boxes can be ticked: the others wait until one is cleared.
  function limitChoices() {
    const full = checkedOptions().length >= maxChoices();
    for (const box of $('options').querySelectorAll('input')) box.disabled = full && !box.checked;
    $('submit-choices').disabled = checkedOptions().length === 0;
  }

  // Whether the audience sees the counts now, from the poll's settings.
  function resultsHiddenBy(settings) {
    const visibility = settings.results_visibility ?? 'always';
    return visibility === 'hidden' || (visibility === 'after_close' && settings.status === 'open');
  }

  function updateCountdown() {
    clearTimeout(countdownTimer);
    const label = $('countdown');
    const closesAt = poll?.closes_at ? Date.parse(poll.closes_at) : NaN;
    if (!poll || poll.status !== 'open' || Number.isNaN(closesAt)) {
      label.hidden = true;
      return;
    }
    const left = Math.ceil((closesAt - Date.now()) / 1000);
    label.hidden = false;
    if (left > 0) {
      label.textContent = `Closes in ${clock(left)}`;
      // The next tick when the shown second changes.
      countdownTimer = setTimeout(updateCountdown, (closesAt - Date.now()) % 1000 || 1000);
    } else {
      // The server closes it within a second and says so; ask if it has not.
      label.textContent = 'Closing…';
      countdownTimer = setTimeout(() => loadPoll(), 1500);
    }
  }

  function optionText(id) {
    return poll?.options.find((o) => o.id === id)?.text ?? id;
  }

  function showPoll(next) {
    const rebuild = !poll || JSON.stringify(poll.options) !== JSON.stringify(next.options);
    const first = !poll;
    poll = next;
    $('loading').hidden = true;
    $('missing').hidden = true;
    $('poll').hidden = false;
    $('question').textContent = poll.question;
    if (first) performance.mark('tally:poll-shown'); // the first render, for the browser test
    document.title = `${poll.question} · Tally`;
    const open = poll.status === 'open';
    const wasHidden = hidden;
    hidden = resultsHiddenBy(poll);
    if (wasHidden && !hidden) {
      withheld = false;
      if (!live.live) loadResults(); // revealed or closed: the socket pushes them itself
    }
    const rules = [];
    if (poll.one_vote_per_voter) rules.push('one vote per person');
    if (multiple()) rules.push(`up to ${maxChoices()} choices`);
    $('poll-state').textContent = open
      ? ['Open', ...rules].join(' · ')
      : hidden ? 'Closed' : 'Closed · final results';
    $('poll-state').dataset.state = open ? 'open' : 'closed';
    const kind = multiple() ? `several:${maxChoices()}` : 'one';
    if (rebuild || $('options').dataset.kind !== kind) {
      const options = $('options');
      options.replaceChildren();
      options.dataset.kind = kind;
      for (const option of poll.options) {
        if (multiple()) {
          // Several choices: tick up to max_choices boxes, then send them as one vote.
          const label = element('label', 'choice');
          const box = element('input');
          box.type = 'checkbox';
          box.value = option.id;
          box.dataset.option = option.id;
          box.addEventListener('change', limitChoices);
          label.append(box, element('span', 'choice-text', option.text));
          options.append(label);
        } else {
          const button = element('button', 'option', option.text);
          button.type = 'button';
          button.dataset.option = option.id;
          button.addEventListener('click', () => vote([option.id]));
          options.append(button);
        }
      }
      $('submit-choices').hidden = !multiple();
      limitChoices();
    }
    $('vote-hint').textContent = multiple()
      ? `Choose up to ${maxChoices()} answers, then press Vote:`
      : 'Choose an answer:';
    markChoice((remember(votedKey) ?? '').split(',').filter(Boolean));
    $('vote').hidden = !open;
    if (!open) {
      setBusy(false);
      pending.clear();
      say('Voting has closed.');
      $('results').hidden = false;
    } else if ($('message').textContent === 'Voting has closed.') {
      say('Voting is open again.');
    }
    updateCountdown();
    renderResults();
  }

  function markChoice(optionIds) {
    for (const button of $('options').querySelectorAll('button'))
      button.setAttribute('aria-pressed', String(optionIds.includes(button.dataset.option)));
  }

  function renderResults() {
    if (!poll) return;
    const bars = $('bars');
    bars.replaceChildren();
    // The page follows the poll's settings even for a reader the server would show counts.
    const concealed = hidden || withheld;
    const notice = $('results-hidden');
    notice.hidden = !concealed;
    $('total').hidden = concealed;
    if (concealed) {
      notice.textContent =
        poll.results_visibility === 'after_close'
          ? 'The results are shown when voting closes.'
          : 'The results are hidden until the presenter reveals them.';
      return;
    }
    // Several choices: a share is of the voters, so the shares add up to more than 100%.
    const base = multiple() && voters !== null ? voters : total;
    const values = poll.options.map((o) => counts[o.id] ?? 0);
    const best = Math.max(0, ...values);
    const leaders = values.filter((v) => v === best).length; // a tie has no leader
    for (const option of poll.options) {
      const count = counts[option.id] ?? 0;
      const share = base > 0 ? (100 * count) / base : 0;
      const row = element('li', 'row');
      if (best > 0 && count === best && leaders === 1) row.classList.add('leading');
      const head = element('div', 'row-head');
      head.append(element('span', 'label', option.text));
      head.append(element('span', 'count', `${votesWord(count)} · ${share.toFixed(0)}%`));
      const track = element('div', 'track');
      const fill = element('div', 'fill');
      fill.style.width = `${share}%`;
      track.append(fill);
      row.append(head, track);
      bars.append(row);
    }
    $('total').textContent =
      multiple() && voters !== null
        ? `${votersWord(voters)} · ${total.toLocaleString()} choices in total`
        : `${votesWord(total)} in total`;
    announce();
  }

  // Screen readers hear the standings at most every 5 s, not on every push.
  function announce() {
    if ($('results').hidden || hidden || withheld || announceTimer) return;
    const wait = Math.max(0, lastAnnounce + 5000 - Date.now());
    announceTimer = setTimeout(() => {
      announceTimer = 0;
      if (hidden || withheld) return;
      lastAnnounce = Date.now();
      const parts = poll.options.map((o) => `${o.text}: ${votesWord(counts[o.id] ?? 0)}`);
      $('announce').textContent = `Results. ${parts.join('; ')}. ${votesWord(total)} in total.`;
    }, wait);
  }

  function setResults(message) {
    counts = message.results ?? {};
    total = message.total ?? 0;
    voters = typeof message.voters === 'number' ? message.voters : null;
    withheld = false;
    renderResults();
  }

  function hideResults() {
    withheld = true;
    counts = {};
    total = 0;
    voters = null;
    renderResults();
  }

  function onMessage(message) {
    if (message.type === 'results' && message.poll_id === pollId) {
      if (typeof message.seq === 'number' && message.seq <= seq) return;
      seq = message.seq ?? seq;
      setResults(message);
    } else if (message.type === 'results_hidden' && message.poll_id === pollId) {
      hideResults();
    } else if (message.type === 'poll_updated' && message.poll?.id === pollId) {
      showPoll(message.poll);
    } else if (message.type === 'poll_deleted' && message.poll?.id === pollId) {
      showMissing(true);
    } else if (message.type === 'ack' && pending.has(message.ref)) {
      accepted(pending.get(message.ref));
      pending.delete(message.ref);
    } else if (message.type === 'error') {
      if (pending.has(message.ref)) {
        pending.delete(message.ref);
        refused(message.code, message.message);
      } else if (message.code === 'poll_not_found') {
        showMissing(poll !== null);
      }
    }
  }

  async function loadPoll() {
    try {
      const answer = await request('GET', `/polls/${path}`);
      if (answer.status === 404) return showMissing(poll !== null);
      if (answer.ok) showPoll(answer.json);
    } catch {
      // the socket's reconnect brings us back here
    }
  }

  async function loadResults() {
    try {
      const answer = await request('GET', `/results/${path}`);
      if (answer.ok) setResults(answer.json);
      else if (answer.json?.error?.code === 'results_hidden') hideResults();
    } catch {
      // shown again on the next push or poll
    }
  }

  // One choice goes as option_id (what every server understands), several as option_ids.
  function choiceFields(optionIds) {
    return optionIds.length === 1 ? { option_id: optionIds[0] } : { option_ids: optionIds };
  }

  async function vote(optionIds) {
    if (!poll || poll.status !== 'open' || optionIds.length === 0) return;
    setBusy(true);
    say('Sending your vote…');
    const message = { type: 'vote', poll_id: pollId, ...choiceFields(optionIds), voter_id: voterId() };
    ref += 1;
    const sent = ref;
    pending.set(sent, optionIds);
    if (live.send({ ...message, ref: sent })) {
      setTimeout(() => {
        if (!pending.delete(sent)) return;
        setBusy(false);
        say('No answer from the server yet. Your vote may not have been counted; try again.', 'error');
      }, 10000);
      return;
    }
    pending.delete(sent);
    try {
      const answer = await request('POST', `/vote/${path}`, {
        ...choiceFields(optionIds),
        voter_id: message.voter_id,
      });
      if (answer.ok) accepted(optionIds);
      else refused(answer.json?.error?.code, answer.json?.error?.message);
    } catch {
      setBusy(false);
      say('Could not reach the server. Check your connection and try again.', 'error');
    }
  }

  function accepted(optionIds) {
    setBusy(false);
    remember(votedKey, optionIds.join(','));
    markChoice(optionIds);
    const chosen = optionIds.map((id) => `“${optionText(id)}”`).join(', ');
    say(`Your vote for ${chosen} was counted.`, 'ok');
    $('results').hidden = false;
    if (!live.live) loadResults();
    renderResults();
  }

  function refused(code, text) {
    setBusy(false);
    if (code === 'duplicate_voter') {
      say('You have already voted in this poll.', 'warn');
      $('results').hidden = false;
      renderResults();
    } else if (code === 'poll_closed') {
      loadPoll();
    } else if (code === 'poll_not_found') {
      showMissing(true);
    } else if (code === 'too_many_choices') {
      say(`Choose at most ${maxChoices()} answers.`, 'warn');
    } else if (code === 'rate_limited') {
      say('Too many votes from your network right now. Try again in a moment.', 'error');
    } else {
      say(text || 'The vote was not accepted.', 'error');
    }
  }

  $('submit-choices').addEventListener('click', () => vote(checkedOptions()));

  // Without the socket, results are fetched now and then instead of pushed.
  setInterval(() => {
    if (!live.live && !gone && poll && !$('results').hidden) loadResults();
  }, 3000);

  (async () => {
    const results = loadResults(); // in parallel: the first render waits for one round trip
    await loadPoll();
    if (gone) return;
    if (remember(votedKey)) $('results').hidden = false;
    await results;
    renderResults();
    live.connect();
  })();
}

// ---------------------------------------------------------------- open polls

function indexPage() {
  let reloadTimer = 0;
  const live = new LiveSocket({
    onOpen: () => {
      live.send({ type: 'subscribe', channel: 'polls' });
      loadPolls();
    },
    onMessage: (message) => {
      if (!String(message.type).startsWith('poll_')) return;
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(loadPolls, 150);
    },
    onState: showConnection,
  });

  async function loadPolls() {
    const state = $('list-state');
    let answer;
    try {
      answer = await request('GET', '/polls?status=open');
    } catch {
      state.textContent = 'Could not reach the server; retrying…';
      return;
    }
    if (!answer.ok) {
      state.textContent = answer.json?.error?.message ?? 'Could not load the polls.';
      return;
    }
    const polls = (answer.json.polls ?? []).slice().reverse(); // newest first
    const list = $('polls');
    list.replaceChildren();
    for (const poll of polls) {
      const item = element('li', 'poll-item');
      const link = element('a', 'poll-link', poll.question);
      link.href = `/p/${encodeURIComponent(poll.id)}`;
      const count = poll.options.length;
      item.append(link, element('span', 'poll-meta', `${poll.theme} · ${count} options · id ${poll.id}`));
      list.append(item);
    }
    state.textContent = polls.length
      ? polls.length === 1 ? '1 poll is open.' : `${polls.length} polls are open.`
      : 'No poll is open right now.';
  }

  $('join').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = $('poll-id').value.trim();
    const error = $('join-error');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      error.textContent = 'A poll id is 1 to 64 letters, digits, "-" or "_".';
      $('poll-id').setAttribute('aria-invalid', 'true');
      $('poll-id').focus();
      return;
    }
    error.textContent = '';
    location.assign(`/p/${encodeURIComponent(id)}`);
  });

  loadPolls();
  live.connect();
}

if (document.body.dataset.page === 'poll') pollPage();
else indexPage();
