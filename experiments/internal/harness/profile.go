package harness

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Profile is a named scale of an experiment. The paper (section 5) ran
// each method for 12 hours on a GPU with all the data; the smaller
// profiles keep its procedure and shrink the data, the budgets and the
// epochs.
type Profile struct {
	// Name is smoke, quick, cpu or paper.
	Name string `json:"name"`
	// TrainSize is the number of images taken (class-balanced, seeded) from
	// the original training set before the 80/20 train/validation split;
	// zero means all of it.
	TrainSize int `json:"train_size"`
	// TestSize is the number of test images evaluated; zero means all.
	TestSize int `json:"test_size"`
	// Budget is the search time of one searcher on one data set with one
	// seed.
	Budget Duration `json:"budget"`
	// MaxModels caps the models one search trains; zero means no cap.
	MaxModels int `json:"max_models"`
	// MaxEpochs is the most epochs one model trains during the search.
	MaxEpochs int `json:"max_epochs"`
	// Patience is tau of section 3.4: training stops after tau epochs
	// without improvement of the validation loss, and the model's metric
	// is the mean of its last tau validation accuracies.
	Patience int `json:"patience"`
	// FinalEpochs is how long the best architecture is retrained on train
	// plus validation before the one evaluation on the test set.
	FinalEpochs int `json:"final_epochs"`
	// Seeds is the default number of seeds (1, 2, ...) of each search.
	Seeds int `json:"seeds"`
	// BatchSize is the minibatch size, 64 as in the paper.
	BatchSize int `json:"batch_size"`
	// Note says in words what the profile is good for.
	Note string `json:"note"`
}

// Duration is a time.Duration that reads and writes as text in JSON
// ("1m30s").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("harness: duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// String returns the duration as time.Duration prints it.
func (d Duration) String() string { return time.Duration(d).String() }

// profiles are the named settings, smallest first.
var profiles = []Profile{
	{
		Name: "smoke", TrainSize: 200, TestSize: 200, Budget: Duration(20 * time.Second),
		MaxModels: 2, MaxEpochs: 1, Patience: 1, FinalEpochs: 1, Seeds: 1, BatchSize: 64,
		Note: "tests and CI: checks that everything runs, the numbers mean nothing",
	},
	{
		Name: "quick", TrainSize: 3000, TestSize: 2000, Budget: Duration(90 * time.Second),
		MaxEpochs: 3, Patience: 2, FinalEpochs: 6, Seeds: 1, BatchSize: 64,
		Note: "the default: 3,000 training images, 90 s of search per method, data set and seed, " +
			"one seed: hundreds of times less than the paper's 12 GPU hours on all the data, " +
			"so the errors are far higher than the paper's and the ranking of methods is within noise",
	},
	{
		Name: "cpu", TrainSize: 20000, TestSize: 0, Budget: Duration(15 * time.Minute),
		MaxEpochs: 10, Patience: 3, FinalEpochs: 20, Seeds: 2, BatchSize: 64,
		Note: "a serious run on a workstation: hours; 20,000 training images, 15 min per search, 2 seeds",
	},
	{
		Name: "paper", TrainSize: 0, TestSize: 0, Budget: Duration(12 * time.Hour),
		MaxEpochs: 200, Patience: 5, FinalEpochs: 200, Seeds: 3, BatchSize: 64,
		Note: "the paper's setting (section 5): all data, 12 h per method and data set, " +
			"200 final epochs, batch 64; the paper trained on a GPU, here training runs on the CPU, " +
			"so an experiment takes weeks",
	},
}

// ProfileNames returns the names of the profiles, smallest first.
func ProfileNames() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return names
}

// LookupProfile returns the named profile.
func LookupProfile(name string) (Profile, error) {
	i := slices.IndexFunc(profiles, func(p Profile) bool { return p.Name == name })
	if i < 0 {
		return Profile{}, fmt.Errorf("harness: unknown profile %q (want one of %s)",
			name, strings.Join(ProfileNames(), ", "))
	}
	return profiles[i], nil
}

// Summary is the profile in one line, for the top of a table.
func (p Profile) Summary() string {
	size := func(n int) string {
		if n == 0 {
			return "all"
		}
		return fmt.Sprint(n)
	}
	models := ""
	if p.MaxModels > 0 {
		models = fmt.Sprintf(", at most %d models", p.MaxModels)
	}
	return fmt.Sprintf("profile %s: %s training images (80/20 train/validation), %s test images, "+
		"%s of search per method, data set and seed%s, at most %d epochs per model, patience %d, "+
		"%d final epochs, batch %d",
		p.Name, size(p.TrainSize), size(p.TestSize), p.Budget, models, p.MaxEpochs, p.Patience,
		p.FinalEpochs, p.BatchSize)
}

// Plan says in words how much search an experiment of n searches at the
// profile holds: n times the budget. The model that trains at each
// deadline and, with final, the final training of each search's best
// model come on top.
func (p Profile) Plan(n int, final bool) string {
	what := "searches"
	if n == 1 {
		what = "search"
	}
	s := fmt.Sprintf("%d %s of up to %s each, up to %s of search in all", n, what, p.Budget,
		time.Duration(n)*p.Budget.D())
	if final {
		s += ", plus the final training of each search's best model"
	}
	return s
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
