package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley/parley/livechat"
)

// agentSet is M agents: each waiting, unassigned conversation is claimed by
// the next agent in turn, and every visitor message gets one reply from the
// holder, with client_id r-<event id> and the message's tag. Work on one
// conversation runs on one worker, in order; there are 4*M workers, so at
// most 4*M commands are in flight. The set is the same wherever the agents
// run: what they see comes in through observe, what they do goes out
// through an agentDriver (the REST API in the generator, apiAgents; or
// livechat.Service in the bench server, serve -agents-in-process).
type agentSet struct {
	ctx     context.Context
	drv     agentDriver
	where   string
	n       int
	next    atomic.Int64
	workers []chan agentTask

	mu         sync.Mutex
	owner      map[string]int // conversation → agent index + 1; 0 while the claim is in flight, or lost
	socks      []*sockState   // one per event stream (agent socket, or the hub subscription)
	counted    map[int64]bool // visitor messages counted and answered, whichever stream saw them
	lat        []time.Duration
	received   int64
	replies    int64
	claims     int64
	errs       int64
	dups       int64
	order      int64
	reconnects int64
	firstErr   string
	perConv    map[string]int64 // visitor messages received per conversation
}

// agentDriver carries out the agents' two commands as agent k.
type agentDriver interface {
	assign(ctx context.Context, k int, conv string) error // errConflict when someone else holds it
	reply(ctx context.Context, k int, conv, clientID, text string) error
}

var errConflict = errors.New("conflict")

// sockState is the duplicate and order check of one event stream.
type sockState struct {
	gen     int              // connection number: a reconnect's resume overlap is no duplicate
	seen    map[int64]int    // message.created event id → connection that received it
	lastSeq map[string]int64 // highest seq received per conversation
}

type agentTask struct {
	conv  string
	claim bool
	reply string // tag of the message replied to
	id    int64  // event id replied to
}

// sighting is one agent frame, as the agents read it.
type sighting struct {
	conv    string
	waiting bool // the conversation waits for an agent and nobody holds it
	message bool // message.created: a stored event
	id      int64
	seq     int64
	kind    string
	text    string
}

// agentReport is the agents' side of the figures.
type agentReport struct {
	Where      string           `json:"where"`
	Agents     int              `json:"agents"`
	Sockets    int              `json:"sockets"`
	Claims     int64            `json:"claims"`
	Received   int64            `json:"received"` // visitor messages
	Replies    int64            `json:"replies"`
	Errors     int64            `json:"errors"`
	Duplicates int64            `json:"duplicates"`
	OutOfOrder int64            `json:"out_of_order"`
	Reconnects int64            `json:"reconnects"`
	FirstError string           `json:"first_error,omitempty"`
	Latency    latencyReport    `json:"latency_visitor_to_agent"`
	PerConv    map[string]int64 `json:"per_conversation,omitempty"`
}

func newAgentSet(ctx context.Context, drv agentDriver, where string, agents, streams int) *agentSet {
	a := &agentSet{ctx: ctx, drv: drv, where: where, n: agents, owner: map[string]int{}, counted: map[int64]bool{}, perConv: map[string]int64{}}
	for range streams {
		a.socks = append(a.socks, &sockState{seen: map[int64]int{}, lastSeq: map[string]int64{}})
	}
	for range 4 * agents {
		ch := make(chan agentTask, 4096)
		a.workers = append(a.workers, ch)
		go a.work(ctx, ch)
	}
	return a
}

func (a *agentSet) fail(err error) {
	a.mu.Lock()
	a.errs++
	if a.firstErr == "" {
		a.firstErr = err.Error()
	}
	a.mu.Unlock()
}

// enqueue hands t to the worker of its conversation; it waits while that
// worker is 4096 tasks behind, and gives up when the agents stop.
func (a *agentSet) enqueue(t agentTask) {
	var h uint32 = 2166136261
	for i := 0; i < len(t.conv); i++ {
		h = (h ^ uint32(t.conv[i])) * 16777619
	}
	select {
	case a.workers[h%uint32(len(a.workers))] <- t:
	case <-a.ctx.Done():
	}
}

// reconnected starts a new connection on stream i.
func (a *agentSet) reconnected(i int) {
	a.mu.Lock()
	a.socks[i].gen++
	a.reconnects++
	a.mu.Unlock()
}

// observe takes one frame of stream i, received at now.
func (a *agentSet) observe(i int, s sighting, now time.Time) {
	if s.conv == "" {
		return
	}
	if s.waiting {
		a.mu.Lock()
		_, taken := a.owner[s.conv]
		if !taken {
			a.owner[s.conv] = 0 // claim in flight
		}
		a.mu.Unlock()
		if !taken {
			a.enqueue(agentTask{conv: s.conv, claim: true})
		}
	}
	if !s.message || s.seq == 0 {
		return
	}
	a.mu.Lock()
	st := a.socks[i]
	if g, ok := st.seen[s.id]; ok {
		if g == st.gen {
			a.dups++ // the same event twice on one connection
		}
		a.mu.Unlock()
		return
	}
	st.seen[s.id] = st.gen
	if s.seq <= st.lastSeq[s.conv] {
		a.order++
	}
	st.lastSeq[s.conv] = s.seq
	// Before a claim every agent's socket shows the conversation; count
	// and answer each visitor message once.
	if s.kind != livechat.KindVisitorMessage || a.counted[s.id] {
		a.mu.Unlock()
		return
	}
	a.counted[s.id] = true
	a.received++
	a.perConv[s.conv]++
	sent, tag, ok := parseStamp(s.text)
	if ok && len(a.lat) < maxSamples {
		a.lat = append(a.lat, now.Sub(sent))
	}
	a.mu.Unlock()
	if ok {
		a.enqueue(agentTask{conv: s.conv, reply: tag, id: s.id})
	}
}

func (a *agentSet) work(ctx context.Context, tasks chan agentTask) {
	for {
		var t agentTask
		select {
		case <-ctx.Done():
			return
		case t = <-tasks:
		}
		if t.claim {
			k := int(a.next.Add(1)) % a.n
			err := a.drv.assign(ctx, k, t.conv)
			a.mu.Lock()
			if err == nil {
				a.owner[t.conv] = k + 1
				a.claims++
			}
			a.mu.Unlock()
			if err != nil && !errors.Is(err, errConflict) && ctx.Err() == nil {
				a.fail(fmt.Errorf("assign: %w", err))
			}
			continue
		}
		a.mu.Lock()
		k := a.owner[t.conv]
		a.mu.Unlock()
		if k == 0 {
			a.fail(fmt.Errorf("reply to %s: not claimed by a load agent", t.conv))
			continue
		}
		if err := a.drv.reply(ctx, k-1, t.conv, "r-"+strconv.FormatInt(t.id, 10), stamp(time.Now(), t.reply)); err != nil {
			if ctx.Err() == nil {
				a.fail(fmt.Errorf("reply: %w", err))
			}
			continue
		}
		a.mu.Lock()
		a.replies++
		a.mu.Unlock()
	}
}

func (a *agentSet) report() agentReport {
	a.mu.Lock()
	defer a.mu.Unlock()
	pc := make(map[string]int64, len(a.perConv))
	for k, v := range a.perConv {
		pc[k] = v
	}
	return agentReport{Where: a.where, Agents: a.n, Sockets: len(a.socks), Claims: a.claims, Received: a.received, Replies: a.replies,
		Errors: a.errs, Duplicates: a.dups, OutOfOrder: a.order, Reconnects: a.reconnects, FirstError: a.firstErr,
		Latency: latencies(a.lat), PerConv: pc}
}
