package localstate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAStateFileReadsBackAsWritten(t *testing.T) {
	path := Path(t.TempDir())
	want := State{Region: "us-east-1", ApiUrl: "http://127.0.0.1:4010", RideTable: "t-1",
		DeadLetterQueueUrl: "http://q", Tables: map[string]string{"T": "t-1"}}
	if err := want.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ApiUrl != want.ApiUrl || got.RideTable != want.RideTable || got.DeadLetterQueueUrl != want.DeadLetterQueueUrl || got.Tables["T"] != "t-1" {
		t.Errorf("read %+v, wrote %+v", got, want)
	}
	if !strings.HasSuffix(filepath.ToSlash(path), RelPath) {
		t.Errorf("path %s is not under %s", path, RelPath)
	}
}

func TestTheStateFileHoldsANewAdminTokenEachRunReadableByTheUserAlone(t *testing.T) {
	path := Path(t.TempDir())
	token := NewToken()
	if err := (State{AdminToken: token}).Write(path); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the state file is %v (%v), want 0600: it holds the admin token", info.Mode().Perm(), err)
	}
	if got, err := Read(path); err != nil || got.AdminToken != token || len(token) < 32 || NewToken() == token {
		t.Errorf("token %q read back as %q (%v): want a long one, new each time", token, got.AdminToken, err)
	}
}

func TestNoStateFileMeansNoLocalSystem(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "state.json"))
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "wildrydes local") {
		t.Errorf("err = %v, want ErrNotRunning saying how to start it", err)
	}
}

func TestABrokenStateFileIsAnErrorNamingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want one naming %s", err, path)
	}
}
