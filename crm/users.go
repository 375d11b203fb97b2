package crm

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/schema"
)

// Roles and statuses of users.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"

	StatusOnline    = "online"
	StatusInvisible = "invisible"
	StatusOffline   = "offline"
)

// User is a person who signs in to Parley: an admin or a sales agent.
type User struct {
	ID           int64        `db:"id" json:"id"`
	Name         string       `db:"name" json:"name"`
	Email        string       `db:"email" json:"email"`
	PasswordHash string       `db:"password_hash" json:"-"`
	Role         string       `db:"role" json:"role"`
	Status       string       `db:"status" json:"status"`
	Avatar       string       `db:"avatar" json:"avatar"`
	WorkingHours WorkingHours `db:"working_hours" json:"working_hours"`
	Active       bool         `db:"active" json:"active"`
	Groups       []int64      `db:"-" json:"groups"`
	AddTime      time.Time    `db:"add_time" json:"add_time"`
	UpdateTime   time.Time    `db:"update_time" json:"update_time"`
}

// IsAdmin tells whether u may do everything.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// WorkingHours switch an agent online and offline automatically: per weekday
// ("mon".."sun") a list of "HH:MM-HH:MM" ranges in TimeZone.
type WorkingHours struct {
	Enabled  bool                `json:"enabled"`
	TimeZone string              `json:"timezone,omitempty"`
	Days     map[string][]string `json:"days,omitempty"`
}

// Scan reads the JSON column (empty means not set).
func (w *WorkingHours) Scan(src any) error {
	*w = WorkingHours{}
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("working_hours: unexpected %T", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, w)
}

func (w WorkingHours) value() string {
	if !w.Enabled && w.TimeZone == "" && len(w.Days) == 0 {
		return ""
	}
	b, _ := json.Marshal(w)
	return string(b)
}

func (w WorkingHours) validate(p *Problems) {
	if w.TimeZone != "" {
		if _, err := time.LoadLocation(w.TimeZone); err != nil {
			p.Add("working_hours.timezone", "unknown time zone "+w.TimeZone)
		}
	}
	for day, ranges := range w.Days {
		if !validDay(day) {
			p.Add("working_hours.days", "unknown day "+day+" (use mon, tue, wed, thu, fri, sat, sun)")
			continue
		}
		for _, r := range ranges {
			if _, _, err := ParseHourRange(r); err != nil {
				p.Add("working_hours.days."+day, err.Error())
			}
		}
	}
}

func validDay(d string) bool {
	switch d {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

// ParseHourRange parses "09:00-17:30" into minutes after midnight.
func ParseHourRange(r string) (from, to int, err error) {
	a, b, ok := strings.Cut(r, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want HH:MM-HH:MM", r)
	}
	pa, err1 := time.Parse("15:04", strings.TrimSpace(a))
	pb, err2 := time.Parse("15:04", strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q: want HH:MM-HH:MM", r)
	}
	from, to = pa.Hour()*60+pa.Minute(), pb.Hour()*60+pb.Minute()
	if to <= from {
		return 0, 0, fmt.Errorf("%q: end must be after start", r)
	}
	return from, to, nil
}

// UserInput creates a user.
type UserInput struct {
	Name         string        `json:"name"`
	Email        string        `json:"email"`
	Password     string        `json:"password"`
	Role         string        `json:"role"`
	Avatar       string        `json:"avatar"`
	WorkingHours *WorkingHours `json:"working_hours"`
	Groups       []int64       `json:"groups"`
}

// UserPatch changes a user; nil fields are left alone.
type UserPatch struct {
	Name         *string       `json:"name"`
	Email        *string       `json:"email"`
	Password     *string       `json:"password"`
	Role         *string       `json:"role"`
	Avatar       *string       `json:"avatar"`
	WorkingHours *WorkingHours `json:"working_hours"`
	Active       *bool         `json:"active"`
	Groups       *[]int64      `json:"groups"`
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

func validateUserFields(p *Problems, name, email, role string) {
	if strings.TrimSpace(name) == "" {
		p.Add("name", "is required")
	} else if len(name) > 200 {
		p.Add("name", "is longer than 200 characters")
	}
	if email == "" {
		p.Add("email", "is required")
	} else if !validEmail(email) {
		p.Add("email", "is not an email address")
	}
	if role != RoleAdmin && role != RoleAgent {
		p.Add("role", "must be admin or agent")
	}
}

func (m *Manager) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), m.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CreateUser adds a user. An empty Password leaves the account without one
// (it can only use API tokens until a password is set).
func (m *Manager) CreateUser(ctx context.Context, in UserInput) (User, error) {
	in.Email = normalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if in.Role == "" {
		in.Role = RoleAgent
	}
	var p Problems
	validateUserFields(&p, in.Name, in.Email, in.Role)
	if in.Password != "" && len(in.Password) < MinPasswordLen {
		p.Add("password", fmt.Sprintf("must be at least %d characters", MinPasswordLen))
	}
	if len(in.Password) > 72 {
		p.Add("password", "must be at most 72 bytes")
	}
	wh := WorkingHours{}
	if in.WorkingHours != nil {
		wh = *in.WorkingHours
		wh.validate(&p)
	}
	if err := p.Err(); err != nil {
		return User{}, err
	}
	hash := ""
	if in.Password != "" {
		var err error
		if hash, err = m.hashPassword(in.Password); err != nil {
			return User{}, err
		}
	}
	var id int64
	err := m.InTx(ctx, func(m *Manager) error {
		now := m.nowUTC()
		err := m.q.QueryRowxContext(ctx, m.sql.Get("insert-user"), in.Name, in.Email, hash, in.Role,
			in.Avatar, wh.value(), true, now, now).Scan(&id)
		if err != nil {
			if isUnique(err) {
				return &InvalidError{Fields: []FieldError{{"email", "is already used by another user"}}}
			}
			return fmt.Errorf("insert user: %w", err)
		}
		if in.Groups != nil {
			return m.setUserGroups(ctx, id, in.Groups)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return m.GetUser(ctx, id)
}

func (m *Manager) setUserGroups(ctx context.Context, userID int64, groups []int64) error {
	if _, err := m.q.ExecContext(ctx, m.db.Rebind(`DELETE FROM group_members WHERE user_id = ?`), userID); err != nil {
		return fmt.Errorf("clear user groups: %w", err)
	}
	for i, g := range dedupe(groups) {
		if _, err := m.q.ExecContext(ctx, m.sql.Get("insert-group-member"), g, userID); err != nil {
			if isFK(err) {
				return Invalid(fmt.Sprintf("groups[%d]", i), fmt.Sprintf("no group %d", g))
			}
			return fmt.Errorf("add group member: %w", err)
		}
	}
	return nil
}

func dedupe(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// GetUser returns one user with its groups.
func (m *Manager) GetUser(ctx context.Context, id int64) (User, error) {
	var u User
	if err := m.q.GetContext(ctx, &u, m.sql.Get("get-user"), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, notFound("user", id)
		}
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	if err := m.fillGroups(ctx, []*User{&u}); err != nil {
		return User{}, err
	}
	return u, nil
}

// GetUserByEmail finds a user by email, case-insensitively.
func (m *Manager) GetUserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	if err := m.q.GetContext(ctx, &u, m.sql.Get("get-user-by-email"), normalizeEmail(email)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, notFound("user", email)
		}
		return User{}, fmt.Errorf("get user %s: %w", email, err)
	}
	if err := m.fillGroups(ctx, []*User{&u}); err != nil {
		return User{}, err
	}
	return u, nil
}

// ListUsers returns every user, oldest first. Workspaces have tens of users,
// not thousands, so there is no paging.
func (m *Manager) ListUsers(ctx context.Context) ([]User, error) {
	var us []User
	if err := m.q.SelectContext(ctx, &us, m.sql.Get("list-users")); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	ptrs := make([]*User, len(us))
	for i := range us {
		ptrs[i] = &us[i]
	}
	if err := m.fillGroups(ctx, ptrs); err != nil {
		return nil, err
	}
	return us, nil
}

// CountUsers tells how many users exist (zero on a fresh install).
func (m *Manager) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := m.q.GetContext(ctx, &n, m.sql.Get("count-users")); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// membership is one row of group_members.
type membership struct {
	GroupID int64 `db:"group_id"`
	UserID  int64 `db:"user_id"`
}

// memberships reads all group memberships: a workspace has tens of agents,
// so one small query beats one per user or group.
func (m *Manager) memberships(ctx context.Context) ([]membership, error) {
	var rows []membership
	if err := m.q.SelectContext(ctx, &rows, m.sql.Get("list-user-groups")); err != nil {
		return nil, fmt.Errorf("list group members: %w", err)
	}
	return rows, nil
}

func (m *Manager) fillGroups(ctx context.Context, us []*User) error {
	// One user (every authenticated request) reads only its own memberships.
	if len(us) == 1 {
		gs := []int64{}
		if err := m.q.SelectContext(ctx, &gs, m.sql.Get("list-groups-of-user"), us[0].ID); err != nil {
			return fmt.Errorf("list user groups: %w", err)
		}
		us[0].Groups = gs
		return nil
	}
	rows, err := m.memberships(ctx)
	if err != nil {
		return err
	}
	by := map[int64][]int64{}
	for _, r := range rows {
		by[r.UserID] = append(by[r.UserID], r.GroupID)
	}
	for _, u := range us {
		u.Groups = by[u.ID]
		if u.Groups == nil {
			u.Groups = []int64{}
		}
	}
	return nil
}

// keepAnAdmin refuses to demote or deactivate user id when no other active
// admin would be left: nobody could manage the workspace any more. The
// admins' rows are locked first on PostgreSQL, so of two admins demoting
// each other at once the second sees the first's change and is refused.
func (m *Manager) keepAnAdmin(ctx context.Context, id int64, patch UserPatch) error {
	q := m.sql.Get("active-admins")
	if m.db.Dialect == schema.Postgres {
		q += " FOR UPDATE"
	}
	var ids []int64
	if err := m.q.SelectContext(ctx, &ids, q); err != nil {
		return fmt.Errorf("active admins: %w", err)
	}
	for _, a := range ids {
		if a != id {
			return nil
		}
	}
	field := "active"
	if patch.Role != nil && *patch.Role != RoleAdmin {
		field = "role"
	}
	return Invalid(field, "the workspace needs an active admin: make someone else admin first")
}

// UpdateUser applies a patch.
func (m *Manager) UpdateUser(ctx context.Context, id int64, patch UserPatch) (User, error) {
	err := m.InTx(ctx, func(m *Manager) error {
		u, err := m.GetUser(ctx, id)
		if err != nil {
			return err
		}
		wasAdmin := u.Role == RoleAdmin && u.Active
		if patch.Name != nil {
			u.Name = strings.TrimSpace(*patch.Name)
		}
		if patch.Email != nil {
			u.Email = normalizeEmail(*patch.Email)
		}
		if patch.Role != nil {
			u.Role = *patch.Role
		}
		if patch.Avatar != nil {
			u.Avatar = *patch.Avatar
		}
		if patch.Active != nil {
			u.Active = *patch.Active
		}
		var p Problems
		validateUserFields(&p, u.Name, u.Email, u.Role)
		if patch.WorkingHours != nil {
			u.WorkingHours = *patch.WorkingHours
			u.WorkingHours.validate(&p)
		}
		if patch.Password != nil && (len(*patch.Password) < MinPasswordLen || len(*patch.Password) > 72) {
			p.Add("password", fmt.Sprintf("must be %d to 72 characters", MinPasswordLen))
		}
		if err := p.Err(); err != nil {
			return err
		}
		if wasAdmin && (u.Role != RoleAdmin || !u.Active) {
			if err := m.keepAnAdmin(ctx, id, patch); err != nil {
				return err
			}
		}
		now := m.nowUTC()
		if _, err := m.q.ExecContext(ctx, m.sql.Get("update-user"), u.Name, u.Email, u.Role, u.Avatar,
			u.WorkingHours.value(), u.Active, now, id); err != nil {
			if isUnique(err) {
				return Invalid("email", "is already used by another user")
			}
			return fmt.Errorf("update user: %w", err)
		}
		if patch.Password != nil {
			hash, err := m.hashPassword(*patch.Password)
			if err != nil {
				return err
			}
			if _, err := m.q.ExecContext(ctx, m.sql.Get("update-user-password"), hash, now, id); err != nil {
				return fmt.Errorf("update password: %w", err)
			}
		}
		if patch.Groups != nil {
			return m.setUserGroups(ctx, id, *patch.Groups)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return m.GetUser(ctx, id)
}

// SetUserStatus switches an agent online, invisible or offline.
func (m *Manager) SetUserStatus(ctx context.Context, id int64, status string) (User, error) {
	switch status {
	case StatusOnline, StatusInvisible, StatusOffline:
	default:
		return User{}, Invalid("status", "must be online, invisible or offline")
	}
	res, err := m.q.ExecContext(ctx, m.sql.Get("update-user-status"), status, m.nowUTC(), id)
	if err != nil {
		return User{}, fmt.Errorf("set status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return User{}, notFound("user", id)
	}
	return m.GetUser(ctx, id)
}

// Group is a set of agents a playbook or page rule can route chats to.
type Group struct {
	ID         int64     `db:"id" json:"id"`
	Name       string    `db:"name" json:"name"`
	UserIDs    []int64   `db:"-" json:"user_ids"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// GroupInput creates or replaces a group.
type GroupInput struct {
	Name    *string  `json:"name"`
	UserIDs *[]int64 `json:"user_ids"`
}

func (m *Manager) fillMembers(ctx context.Context, gs []*Group) error {
	rows, err := m.memberships(ctx)
	if err != nil {
		return err
	}
	by := map[int64][]int64{}
	for _, r := range rows {
		by[r.GroupID] = append(by[r.GroupID], r.UserID)
	}
	for _, g := range gs {
		g.UserIDs = by[g.ID]
		if g.UserIDs == nil {
			g.UserIDs = []int64{}
		}
		sort.Slice(g.UserIDs, func(i, j int) bool { return g.UserIDs[i] < g.UserIDs[j] })
	}
	return nil
}

func (m *Manager) setMembers(ctx context.Context, groupID int64, users []int64) error {
	if _, err := m.q.ExecContext(ctx, m.sql.Get("delete-group-members"), groupID); err != nil {
		return fmt.Errorf("clear members: %w", err)
	}
	for i, u := range dedupe(users) {
		if _, err := m.q.ExecContext(ctx, m.sql.Get("insert-group-member"), groupID, u); err != nil {
			if isFK(err) {
				return Invalid(fmt.Sprintf("user_ids[%d]", i), fmt.Sprintf("no user %d", u))
			}
			return fmt.Errorf("add member: %w", err)
		}
	}
	return nil
}

func validGroupName(p *Problems, name string) {
	if strings.TrimSpace(name) == "" {
		p.Add("name", "is required")
	} else if len(name) > 100 {
		p.Add("name", "is longer than 100 characters")
	}
}

// finishGroupWrite turns the insert or update of a group's row into the
// caller's answer (a taken name is a field error) and replaces its members
// when the input names them.
func (m *Manager) finishGroupWrite(ctx context.Context, op string, err error, id int64, users *[]int64) error {
	if err != nil {
		if isUnique(err) {
			return Invalid("name", "a group with this name exists")
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	if users != nil {
		return m.setMembers(ctx, id, *users)
	}
	return nil
}

// CreateGroup adds a group.
func (m *Manager) CreateGroup(ctx context.Context, in GroupInput) (Group, error) {
	var p Problems
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	validGroupName(&p, name)
	if err := p.Err(); err != nil {
		return Group{}, err
	}
	var id int64
	err := m.InTx(ctx, func(m *Manager) error {
		now := m.nowUTC()
		err := m.q.QueryRowxContext(ctx, m.sql.Get("insert-group"), name, now, now).Scan(&id)
		return m.finishGroupWrite(ctx, "insert group", err, id, in.UserIDs)
	})
	if err != nil {
		return Group{}, err
	}
	return m.GetGroup(ctx, id)
}

// GetGroup returns one group with its members.
func (m *Manager) GetGroup(ctx context.Context, id int64) (Group, error) {
	var g Group
	if err := m.q.GetContext(ctx, &g, m.sql.Get("get-group"), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Group{}, notFound("group", id)
		}
		return Group{}, fmt.Errorf("get group: %w", err)
	}
	return g, m.fillMembers(ctx, []*Group{&g})
}

// ListGroups returns every group by name.
func (m *Manager) ListGroups(ctx context.Context) ([]Group, error) {
	var gs []Group
	if err := m.q.SelectContext(ctx, &gs, m.sql.Get("list-groups")); err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	ptrs := make([]*Group, len(gs))
	for i := range gs {
		ptrs[i] = &gs[i]
	}
	return gs, m.fillMembers(ctx, ptrs)
}

// UpdateGroup renames a group or replaces its members.
func (m *Manager) UpdateGroup(ctx context.Context, id int64, in GroupInput) (Group, error) {
	err := m.InTx(ctx, func(m *Manager) error {
		g, err := m.GetGroup(ctx, id)
		if err != nil {
			return err
		}
		if in.Name != nil {
			var p Problems
			g.Name = strings.TrimSpace(*in.Name)
			validGroupName(&p, g.Name)
			if err := p.Err(); err != nil {
				return err
			}
		}
		_, err = m.q.ExecContext(ctx, m.sql.Get("update-group"), g.Name, m.nowUTC(), id)
		return m.finishGroupWrite(ctx, "update group", err, id, in.UserIDs)
	})
	if err != nil {
		return Group{}, err
	}
	return m.GetGroup(ctx, id)
}

// DeleteGroup removes a group (its members stay users).
func (m *Manager) DeleteGroup(ctx context.Context, id int64) error {
	res, err := m.q.ExecContext(ctx, m.sql.Get("delete-group"), id)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("group", id)
	}
	return nil
}

// OnlineCounts counts active users whose status is online, in all and per
// group name. Invisible users get no new chats, so they do not count. It
// runs on every playbook step and visitor message, hence one aggregate query
// rather than loading the users.
func (m *Manager) OnlineCounts(ctx context.Context) (int, map[string]int, error) {
	var rows []struct {
		Name sql.NullString `db:"name"`
		N    int            `db:"n"`
	}
	if err := m.q.SelectContext(ctx, &rows, m.sql.Get("count-online"), true, true); err != nil {
		return 0, nil, fmt.Errorf("count online users: %w", err)
	}
	all, byGroup := 0, make(map[string]int, len(rows))
	for _, r := range rows {
		if r.Name.Valid {
			byGroup[r.Name.String] = r.N
		} else {
			all = r.N
		}
	}
	return all, byGroup, nil
}
