package search

import (
	"sync"
	"time"
)

// idleMeter measures trainer idle time: the time integral of the number of
// workers not training, counted only while the loop still has work for
// them (section 4.3). Safe for concurrent use.
type idleMeter struct {
	mu       sync.Mutex
	workers  int
	busy     int
	inactive bool
	last     time.Time
	idle     time.Duration
}

// tick accounts for the time since the last change; mu must be held.
func (m *idleMeter) tick() {
	now := time.Now()
	if !m.inactive && m.busy < m.workers {
		m.idle += time.Duration(m.workers-m.busy) * now.Sub(m.last)
	}
	m.last = now
}

// start marks a worker busy.
func (m *idleMeter) start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick()
	m.busy++
}

// stop marks a worker free.
func (m *idleMeter) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick()
	m.busy--
}

// setActive says whether the loop has work for free workers; idle time
// accrues only while it has.
func (m *idleMeter) setActive(active bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick()
	m.inactive = !active
}

// value returns the idle time so far.
func (m *idleMeter) value() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick()
	return m.idle
}
