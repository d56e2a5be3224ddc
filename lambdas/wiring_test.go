// Package lambdas holds one folder per Lambda function; this test checks what they share.
package lambdas

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every function logs through aws-lambda-go's handler, which adds the request ID to every line
// and follows the function's log format and level (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL):
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
func TestEveryFunctionLogsThroughTheLambdaLogHandler(t *testing.T) {
	mains, _ := filepath.Glob("*/main.go")
	if len(mains) < 5 {
		t.Fatalf("found %d functions, want every lambdas/<name>/main.go", len(mains))
	}
	for _, path := range mains {
		t.Run(filepath.Dir(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			calls := selectors(f)
			// main may leave the start-up to a function of this module's (riderecord.MustSetUp):
			// then that function must set the handler.
			for _, imp := range f.Imports {
				path := strings.Trim(imp.Path.Value, `"`)
				dir, ok := strings.CutPrefix(path, module+"/")
				if !ok {
					continue
				}
				for name := range calls {
					if pkg, fn, _ := strings.Cut(name, "."); pkg == filepath.Base(path) {
						for c := range funcSelectors(t, filepath.Join("..", dir), fn) {
							calls[c] = true
						}
					}
				}
			}
			if !calls["lambdacontext.NewLogger"] && !calls["lambdacontext.NewLogHandler"] {
				t.Error("main does not set lambdacontext's log handler")
			}
			for _, own := range []string{"slog.NewJSONHandler", "slog.NewTextHandler"} {
				if calls[own] {
					t.Errorf("main builds its own handler (%s): its lines would lack the request ID", own)
				}
			}
		})
	}
}

const module = "github.com/wildrydes/wild-rydes-cdk"

// selectors lists the pkg.Name selectors used under n.
func selectors(n ast.Node) map[string]bool {
	out := map[string]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok {
				out[pkg.Name+"."+sel.Sel.Name] = true
			}
		}
		return true
	})
	return out
}

// funcSelectors lists the selectors the package function fn of the package in dir uses.
func funcSelectors(t *testing.T, dir, fn string) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == fn {
				return selectors(fd.Body)
			}
		}
	}
	return nil
}
