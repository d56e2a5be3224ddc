package main

import (
	"bytes"
	"strings"
	"testing"
)

// parseAs parses the command line args (a command's name, then its flags) into the command's
// options, as wildrydes would, without running it.
func parseAs[O options](t *testing.T, args ...string) O {
	t.Helper()
	var zero O
	c, ok := lookup(commands(), args[0])
	if !ok {
		t.Fatalf("no command %q", args[0])
	}
	var stderr bytes.Buffer
	o, status, ok := c.parse(args[1:], streams{Out: &bytes.Buffer{}, Err: &stderr})
	if !ok {
		t.Fatalf("wildrydes %s: exit %d\n%s", strings.Join(args, " "), status, stderr.String())
		return zero
	}
	typed, ok := o.(O)
	if !ok {
		t.Fatalf("wildrydes %s parses into %T", args[0], o)
	}
	return typed
}

// usageError parses args as wildrydes would and returns the exit status and stderr of a command
// line that does not run.
func usageError(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c, ok := lookup(commands(), args[0])
	if !ok {
		t.Fatalf("no command %q", args[0])
	}
	if _, status, ok := c.parse(args[1:], streams{Out: &stdout, Err: &stderr}); !ok {
		if stdout.Len() > 0 {
			t.Errorf("wildrydes %s wrote to stdout: %q", strings.Join(args, " "), stdout.String())
		}
		return status, stderr.String()
	}
	t.Fatalf("wildrydes %s parses; want a usage error", strings.Join(args, " "))
	return 0, ""
}

func TestEveryCommandIsListedAndAnUnknownOneIsAUsageError(t *testing.T) {
	var stderr bytes.Buffer
	if code := execute(t.Context(), []string{"nope"}, streams{Out: &bytes.Buffer{}, Err: &stderr}); code != 2 {
		t.Errorf("an unknown command exits %d, want 2", code)
	}
	for _, c := range commands() {
		if !strings.Contains(stderr.String(), "  "+c.name+" ") {
			t.Errorf("the usage does not list %s:\n%s", c.name, stderr.String())
		}
	}
	stderr.Reset()
	if code := execute(t.Context(), []string{"dlq", "purge"}, streams{Out: &bytes.Buffer{}, Err: &stderr}); code != 2 ||
		!strings.Contains(stderr.String(), "usage: wildrydes dlq list|redrive") {
		t.Errorf("dlq purge: exit %d, stderr %q; want 2 and dlq's usage", code, stderr.String())
	}
}
