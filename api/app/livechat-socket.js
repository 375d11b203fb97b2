// The agent socket client: hello with the last event seen, replay, live
// events, and reconnection with backoff that resumes where it stopped (the
// server drops a client that falls behind; it comes back by last_event).
const RESUME_MARGIN = 500; // event ids replayed again on a reconnect (see onopen)

export function connectAgentSocket({ onEvent, onState = () => {}, onReset = () => {} }) {
  let ws = null;
  let lastEvent = null; // null: a fresh page, which loads folders over REST
  let closed = false;
  let attempt = 0;
  let timer = null;
  const seen = new Set(); // "conversation:seq" of stored events, against replay overlaps

  function open() {
    onState("connecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/api/v1/realtime`);
    // Resume a little before the last id seen: ids are taken when events are
    // written, and concurrent writes (several servers, several chats) can
    // commit out of id order, so an event with a lower id may still have
    // been on its way. What comes twice is dropped by `seen`.
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", last_event: lastEvent === null ? null : Math.max(0, lastEvent - RESUME_MARGIN) }));
    ws.onmessage = (m) => {
      let f;
      try { f = JSON.parse(m.data); } catch { return; }
      if (f.type === "welcome") {
        const resumed = lastEvent !== null;
        if (lastEvent === null || f.reset) lastEvent = f.last_event;
        attempt = 0;
        onState("open");
        // After a gap the folder lists may be stale (assignments are not
        // stored events): reload them; the replay brings the messages.
        if (resumed || f.reset) onReset();
        return;
      }
      if (f.type !== "event") return;
      if (f.id > (lastEvent || 0)) lastEvent = f.id;
      const d = f.data || {};
      if (d.seq && d.conversation_id && f.event !== "conversation.updated") {
        const k = d.conversation_id + ":" + d.seq;
        if (seen.has(k)) return;
        seen.add(k);
        if (seen.size > 5000) seen.clear();
      }
      try { onEvent(f.event, d); } catch (err) { console.error("live chat event", f.event, err); }
    };
    ws.onclose = () => {
      ws = null;
      if (closed) return;
      onState("closed");
      const delay = Math.min(15000, 500 * 2 ** attempt++) * (0.7 + Math.random() * 0.6);
      timer = setTimeout(open, delay);
    };
  }
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (ws) ws.close();
    },
  };
}
