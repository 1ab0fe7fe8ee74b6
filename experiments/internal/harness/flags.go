package harness

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Flags are the flags every experiment has: the profile, the output
// directory, where the data is, resume and the number of seeds.
type Flags struct {
	ProfileName string
	Out         string
	DataDir     string
	Download    bool
	Resume      bool
	Seeds       int
	// Profile is set by Check from ProfileName.
	Profile Profile
}

// Register defines the common flags on fs.
func (f *Flags) Register(fs *flag.FlagSet, experiment string) {
	fs.StringVar(&f.ProfileName, "profile", "quick", "scale: "+strings.Join(ProfileNames(), ", "))
	fs.StringVar(&f.Out, "out", "", "output directory; empty means results/"+experiment+"-<profile>")
	fs.StringVar(&f.DataDir, "data-dir", "", "directory looked in first for the data set files")
	fs.BoolVar(&f.Download, "download", false, "download data sets found nowhere (needs network)")
	fs.BoolVar(&f.Resume, "resume", false, "continue the searches found in -out")
	fs.IntVar(&f.Seeds, "seeds", 0, "seeds per search (1, 2, ...); 0 means the profile's")
}

// Check resolves the profile and the defaults that depend on it; minSeeds
// is the fewest seeds the experiment runs by default (2 for a band).
func (f *Flags) Check(experiment string, minSeeds int) error {
	p, err := LookupProfile(f.ProfileName)
	if err != nil {
		return fmt.Errorf("-profile: %w", err)
	}
	f.Profile = p
	if f.Seeds < 0 {
		return fmt.Errorf("-seeds: %d is negative", f.Seeds)
	}
	if f.Seeds == 0 {
		f.Seeds = max(p.Seeds, minSeeds)
	}
	if f.Out == "" {
		f.Out = filepath.Join("results", experiment+"-"+p.Name)
	}
	return nil
}

// ParseFloats reads a comma-separated list of distinct, positive, finite
// numbers for the named flag.
func ParseFloats(flag, value string) ([]float64, error) {
	var out []float64
	for _, s := range strings.Split(value, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0) || v > 1e300 {
			return nil, fmt.Errorf("-%s: %q is not a positive number", flag, s)
		}
		if slices.Contains(out, v) {
			return nil, fmt.Errorf("-%s: %v appears twice", flag, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-%s: empty list", flag)
	}
	return out, nil
}
