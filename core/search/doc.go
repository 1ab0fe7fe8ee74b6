// Package search is the search loop of the harness: it asks a Searcher for
// proposals, builds each proposed model (the parent's stored weights carried
// through the morph operations, or a fresh initialisation), trains it with a
// Trainer, and records the outcome, within a budget of wall-clock time,
// models and epochs per model (paper, sections 4.1 to 4.4).
//
// Everything a search produces lives in one directory:
//
//	run.json             the run's record: searcher, settings, seed, profile,
//	                     dataset, code version, Go version, CPU
//	journal.jsonl        append-only events, one JSON object a line: session,
//	                     proposal, start, epoch, failure, observation, bound,
//	                     drop, reveal, end
//	models/000007.json   the architecture of model 7 (graph JSON)
//	models/000007.weights its trained weights (graph.WriteWeights, with CRC)
//	lock                 held while a search runs in the directory
//
// Model files are written atomically (a temporary file, synced, renamed,
// and the directory synced) before the observation that refers to them is
// appended to the journal, and the journal is synced after each
// observation. Running Run again on the same directory resumes: the history
// is rebuilt from the journal, proposals that were handed out but not
// finished are trained again under their ids, finished models are never
// retrained, and files left by an interrupted write are removed. The
// budget is a total over all sessions and may be raised on resume.
//
// While one model trains, the searcher already prepares the next proposal,
// which waits in a bounded queue (section 4.3), and a trained model is
// saved while the next one trains; the time the trainers sit idle is
// measured and journaled. Several workers may train at once. The history
// a searcher sees lists the proposals still pending, so that it never
// proposes them again. With one worker and a queue of one (the default)
// the search is deterministic: a proposal is asked for when the latest
// model starts, once every model before it is observed, and that model
// shows as pending even if it finished meanwhile. The latest model is that
// of the journal's last start event, so a resumed search hides the same
// one; the journal of a search killed and resumed any number of times then
// holds the same observations as that of an uninterrupted one. Retention
// waits while a proposal is being made, so the weights of the parent a
// searcher picks are not removed by an observation that came meanwhile.
//
// Candidates whose estimated memory (graph.MemoryBytes) exceeds the bound
// are discarded before training, and an out-of-memory failure lowers the
// bound to 0.9 of the failed model's estimate (section 4.4); the bound is
// journaled and survives a resume.
//
// A trial that panics, diverges or runs out of memory becomes a failed
// observation with its reason, and the search goes on. So does a proposal
// that cannot be built, repeats an architecture, or is too large: it is
// observed as failed without training. A searcher that returns
// ErrExhausted to a history with pending models is asked again once every
// model is observed, with the whole history (a reveal event marks this in
// the journal); to a history without pending models, the search stops.
//
// Run is the loop; Open reads a search directory, running or not, for its
// history, incumbent and models; NewTrainer adapts core/train.
package search
