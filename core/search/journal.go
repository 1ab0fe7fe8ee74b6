package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/morphnas/morphnas/core/graph"
)

// The journal's event types.
const (
	evSession     = "session"     // a call of Run began; carries the budget
	evProposal    = "proposal"    // a proposal got its id; carries its graph and hash
	evStart       = "start"       // training of a model began
	evEpoch       = "epoch"       // one epoch of a model's curve
	evFailure     = "failure"     // why a trial failed, before its observation
	evObservation = "observation" // the outcome of a trial; synced
	evBound       = "bound"       // the memory bound changed
	evDrop        = "drop"        // retention removed a model's weights
	evReveal      = "reveal"      // proposals see the latest started model as observed
	evEnd         = "end"         // a call of Run ended normally
)

// event is one line of the journal. Only the fields of its type are set.
type event struct {
	Type        string       `json:"type"`
	Time        time.Time    `json:"time"`
	ID          int          `json:"id,omitempty"`
	Proposal    *Proposal    `json:"proposal,omitempty"`
	Graph       *graph.Graph `json:"graph,omitempty"`
	Hash        string       `json:"hash,omitempty"`
	Epoch       *Epoch       `json:"epoch,omitempty"`
	Observation *Observation `json:"observation,omitempty"`
	Kind        string       `json:"kind,omitempty"`
	Error       string       `json:"error,omitempty"`
	Stack       string       `json:"stack,omitempty"`
	Bound       int64        `json:"bound,omitempty"`
	Estimate    int64        `json:"estimate,omitempty"`
	Budget      *Budget      `json:"budget,omitempty"`
	Idle        float64      `json:"idle,omitempty"`    // seconds idle this session so far
	Elapsed     float64      `json:"elapsed,omitempty"` // seconds of this session
	Stop        Stop         `json:"stop,omitempty"`
}

// journal appends events to the journal file; safe for concurrent use.
type journal struct {
	mu sync.Mutex
	f  *os.File
}

// append writes e as one line, and syncs the file when sync is set.
func (j *journal) append(e *event, sync bool) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("search: encode %s event: %w", e.Type, err)
	}
	data = append(data, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := writeSplit(j.f, data, "journal-half", e.ID); err != nil {
		return fmt.Errorf("search: append to journal: %w", err)
	}
	if sync {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("search: sync journal: %w", err)
		}
	}
	return nil
}

// state is what the journal says about a search, rebuilt by replaying it
// and kept up to date by applying each new event.
type state struct {
	obs      []Observation
	obsIndex map[int]int     // model id -> index in obs
	props    map[int]*event  // model id -> its proposal event
	hashes   map[string]int  // architecture hash -> first model id with it
	started  map[int]bool    // models whose training began at least once
	starts   map[int]int     // how many times each model's training began
	dropped  map[int]bool    // models whose weights retention removed
	curves   map[int][]Epoch // the latest curve journaled for each model
	bound    int64           // memory bound in bytes, 0 for none
	maxID    int             // largest id handed out
	latest   int             // the model whose training began last, over all sessions
	revealed bool            // a reveal event came after the latest start
	sessions int             // calls of Run
	elapsed  time.Duration   // wall time of the sessions before the current one
	start    time.Time       // start of the current session
	last     time.Time       // time of the latest event
}

func newState() *state {
	return &state{
		obsIndex: map[int]int{}, props: map[int]*event{}, hashes: map[string]int{}, started: map[int]bool{}, starts: map[int]int{},
		dropped: map[int]bool{}, curves: map[int][]Epoch{},
	}
}

// apply updates the state with one event.
func (s *state) apply(e *event) {
	switch e.Type {
	case evSession:
		if s.sessions > 0 {
			s.elapsed += s.last.Sub(s.start)
		}
		s.sessions++
		s.start = e.Time
	case evProposal:
		s.props[e.ID] = e
		if _, ok := s.hashes[e.Hash]; !ok && e.Hash != "" {
			s.hashes[e.Hash] = e.ID
		}
		s.maxID = max(s.maxID, e.ID)
	case evStart:
		s.started[e.ID] = true
		s.starts[e.ID]++
		s.curves[e.ID] = nil
		s.latest, s.revealed = e.ID, false
	case evEpoch:
		if e.Epoch != nil {
			s.curves[e.ID] = append(s.curves[e.ID], *e.Epoch)
		}
	case evObservation:
		if e.Observation != nil {
			if _, ok := s.obsIndex[e.ID]; !ok {
				s.obsIndex[e.ID] = len(s.obs)
				s.obs = append(s.obs, *e.Observation)
			}
		}
	case evBound:
		s.bound = e.Bound
	case evDrop:
		s.dropped[e.ID] = true
	case evReveal:
		s.revealed = true
	}
	if e.Time.After(s.last) {
		s.last = e.Time
	}
}

// total is the wall time of all sessions up to the latest event. The time
// between a killed session's last event and the kill is not counted.
func (s *state) total() time.Duration {
	if s.sessions == 0 {
		return 0
	}
	return s.elapsed + s.last.Sub(s.start)
}

// pending returns the ids with a proposal but no observation, in order.
func (s *state) pending() []int {
	var ids []int
	for id := range s.props {
		if _, ok := s.obsIndex[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// history returns a copy of the history for a searcher: every observation
// and every pending proposal. The graphs are shared and must not change.
func (s *state) history() *History {
	h := &History{Observations: slices.Clone(s.obs)}
	for _, id := range s.pending() {
		p := s.props[id]
		h.Pending = append(h.Pending, Pending{ID: id, Proposal: *p.Proposal, Graph: p.Graph, Hash: p.Hash})
	}
	return h
}

// readJournal replays the journal at path. A missing file is an empty
// journal. A last line that is incomplete (no newline, or not valid JSON)
// was being written when the process died: it is ignored, and good is the
// length of the journal without it. Any other undecodable line is an error
// wrapping ErrCorruptJournal.
func readJournal(path string) (s *state, good int64, err error) {
	s = newState()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return s, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("search: read journal: %w", err)
	}
	line := 0
	for pos := 0; pos < len(data); {
		line++
		n := bytes.IndexByte(data[pos:], '\n')
		if n < 0 {
			return s, int64(pos), nil // torn last line
		}
		var e event
		if err := json.Unmarshal(data[pos:pos+n], &e); err != nil {
			if pos+n+1 == len(data) {
				return s, int64(pos), nil
			}
			return nil, 0, fmt.Errorf("%w: %s line %d: %v", ErrCorruptJournal, path, line, err)
		}
		s.apply(&e)
		pos += n + 1
	}
	return s, int64(len(data)), nil
}
