// Package cli holds what the node and wallet command lines share: printing
// one JSON object per result, one-line errors with the contract's exit codes,
// and telling usage errors apart from failures.
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/rpc"
)

// Exit codes of the contract.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// UsageError marks a mistake in how a command was called (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Exit is an error that carries its own exit code and whose output was already printed.
type Exit struct{ Code int }

func (e *Exit) Error() string { return fmt.Sprintf("exit %d", e.Code) }

// PrintJSON writes v as one indented JSON object and a newline.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Execute runs root with args and maps the outcome to an exit code, printing
// `error: ...` on stderr for failures. Cobra's own parse errors are usage errors.
func Execute(root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var exit *Exit
	if errors.As(err, &exit) {
		return exit.Code
	}
	var usage *UsageError
	if errors.As(err, &usage) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "error: %v (see --help)\n", oneLine(err))
		return ExitUsage
	}
	var rerr *rpc.Error
	if errors.As(err, &rerr) {
		fmt.Fprintf(stderr, "error: %s: %s\n", rerr.Code, oneLine(errors.New(rerr.Message)))
		return ExitFailure
	}
	fmt.Fprintf(stderr, "error: %v\n", oneLine(err))
	return ExitFailure
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires exactly", "flag needs an argument", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// Args wraps a cobra positional-argument validator so its failures are usage errors.
func Args(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &UsageError{Err: err}
		}
		return nil
	}
}
