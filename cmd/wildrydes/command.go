package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// streams are what a command reads and writes, injected so that a test runs it on buffers.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// A command is laid out as the GitHub CLI's are (cli/cli pkg/cmd/pr/view/view.go): an options
// struct holds everything the command reads; its constructor, newXOptions, binds the flags into
// it, so a test checks the parsing without running anything; its run does the work on the
// streams and clients the options hold.
type command struct {
	name, summary string
	// new makes the command's options, its flags bound into them.
	new func(s streams) (options, *flag.FlagSet)
	// subcommands, if any, are chosen by the first argument (dlq list, dlq redrive); synopsis is
	// what follows the command's name in its usage line.
	subcommands []command
	synopsis    string
	// helpOK: -h is a success (cost, load and bench); the other commands exit 2, as they always have.
	helpOK bool
}

// options is a command's options struct.
type options interface {
	// complete checks what the flags say, with the arguments left after them, and works out what
	// follows from it; an error is a usage error (exit 2).
	complete(args []string) error
	// run does the command's work and returns its exit status.
	run(ctx context.Context) int
}

// parse binds args into the command's options: the one place where any command's flags are
// parsed. ok is false when the command ends there, with exit status.
func (c command) parse(args []string, s streams) (o options, status int, ok bool) {
	if c.subcommands != nil {
		if len(args) > 0 {
			if sub, found := lookup(c.subcommands, args[0]); found {
				return sub.parse(args[1:], s)
			}
		}
		fmt.Fprintf(s.Err, "usage: wildrydes %s %s\n", c.name, c.synopsis)
		return nil, 2, false
	}
	o, fs := c.new(s)
	fs.SetOutput(s.Err)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) && c.helpOK {
			return nil, 0, false
		}
		return nil, 2, false
	}
	if err := o.complete(fs.Args()); err != nil {
		fmt.Fprintf(s.Err, "%s: %v\n", fs.Name(), err)
		return nil, 2, false
	}
	return o, 0, true
}

// execute parses args, then runs the command.
func (c command) execute(ctx context.Context, args []string, s streams) int {
	o, status, ok := c.parse(args, s)
	if !ok {
		return status
	}
	return o.run(ctx)
}

func lookup(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// noArguments is complete's check for a command that takes flags only.
func noArguments(args []string, hint string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q%s", args[0], hint)
	}
	return nil
}
