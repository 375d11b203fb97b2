package livechat_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema/schematest"
)

// BenchmarkVisitorMessage is the load generator's hottest path: a visitor's
// message to the agent holding the chat, on SQLite. It reports the SQL
// statements one message costs (queries/op, BEGIN and COMMIT not counted),
// which is what decides the cost on PostgreSQL, where every statement is a
// round trip.
//
//	go test ./livechat -run '^$' -bench VisitorMessage -benchmem
func BenchmarkVisitorMessage(b *testing.B) {
	ctx := context.Background()
	db, q := counted(b, schematest.SQLite(b))
	m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	s, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m})
	if err != nil {
		b.Fatal(err)
	}
	name := "Site"
	site, err := s.CreateSite(ctx, livechat.SiteInput{Name: &name})
	if err != nil {
		b.Fatal(err)
	}
	ann, err := m.CreateUser(ctx, crm.UserInput{Name: "ann", Email: "ann@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.SetUserStatus(ctx, ann.ID, crm.StatusOnline); err != nil {
		b.Fatal(err)
	}
	v, _, err := s.CreateVisitor(ctx, site.ID)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Message(ctx, v, "first", "Hello?"); err != nil {
		b.Fatal(err)
	}
	c, err := s.OpenConversation(ctx, v.ID)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Assign(ctx, c.ID, ann.ID, ann.ID); err != nil {
		b.Fatal(err)
	}
	// Warm what a running server has warm (the site, once cached).
	if _, err := s.Message(ctx, v, "warm", "Still there?"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	q.Reset()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Message(ctx, v, fmt.Sprintf("m-%d", i), "Where is my order?"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(q.Total())/float64(b.N), "queries/op")
}
