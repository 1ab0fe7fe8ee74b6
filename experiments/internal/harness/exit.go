package harness

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// ExitCode returns the exit status of an experiment program whose run
// returned err, and writes err to stderr after the program's name: 0 for
// nil and for flag.ErrHelp (-h or -help, whose usage the flag set has
// already written), 1 for any other error.
func ExitCode(program string, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, program+":", err)
	return 1
}
