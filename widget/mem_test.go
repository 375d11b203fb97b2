package widget

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parley/parley/schema/schematest"
)

// memPerSocketBudget is the server memory an idle visitor socket may hold.
const memPerSocketBudget = 30 << 10

// TestMemoryPerIdleSocket opens N real sockets (each past hello, subscribed
// to the hub) and measures the heap and stacks they add. The clients live
// in the same process, so their share is counted too: the figure is an
// upper bound for the server alone.
func TestMemoryPerIdleSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 200 sockets")
	}
	const n = 200
	e := newEnv(t, schematest.SQLite(t), Opts{})
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = e.token()
	}
	// Lean clients: small buffers, no reader goroutine once welcomed.
	d := websocket.Dialer{ReadBufferSize: 512, WriteBufferSize: 512, HandshakeTimeout: 5 * time.Second}
	hdr := http.Header{"Origin": {testOrigin}}
	hello := []byte(`{"type":"hello","last_seq":0,"page":{"url":"https://shop.example.com/"}}`)
	dial := func(tok string) *websocket.Conn {
		ws, _, err := d.Dial(e.wsURL(tok), hdr)
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.WriteMessage(websocket.TextMessage, hello); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil { // the welcome
			t.Fatal(err)
		}
		return ws
	}
	// Warm up pools and lazily built state so they are not charged to the sockets.
	dial(tokens[0]).Close()

	measure := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc + m.StackInuse
	}
	before := measure()
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = dial(tokens[i])
	}
	for e.h.OpenSockets() < n {
		time.Sleep(10 * time.Millisecond)
	}
	after := measure()
	per := int64(after-before) / n
	t.Logf("%d idle sockets: %d B each (server and client together), budget %d B", n, per, memPerSocketBudget)
	if per > memPerSocketBudget {
		t.Errorf("an idle socket costs %d B, over the %d B budget", per, memPerSocketBudget)
	}
	runtime.KeepAlive(conns)
	for _, c := range conns {
		c.Close()
	}
}
