package bench

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// MaxZipped is the project's budget for a function's deployment package.
const MaxZipped = 4 << 20

// AssetSize is one function's code asset as the CDK uploads it.
type AssetSize struct {
	Stack, Function, Entry, Asset string
	// Bytes is the asset folder's size; Zipped is the zip the CDK CLI uploads (deflate, level 9).
	Bytes, Zipped int64
}

// AssetSizes zips the code asset of every function in the assembly, as `cdk deploy` would.
func AssetSizes(asm *cfn.Assembly) ([]AssetSize, error) {
	sys, err := model.FromAssemblies(asm)
	if err != nil {
		return nil, err
	}
	var out []AssetSize
	for _, fn := range sys.Functions() {
		asset, _ := fn.Source.Metadata["aws:asset:path"].(string)
		if asset == "" {
			continue // inline code: nothing is uploaded
		}
		raw, zipped, err := zipSize(filepath.Join(asm.Dir, asset))
		if err != nil {
			return nil, fmt.Errorf("asset of %s in %s: %w", fn.LogicalID, fn.Stack.Name, err)
		}
		out = append(out, AssetSize{Stack: fn.Stack.Name, Function: fn.LogicalID, Entry: fn.Entry, Asset: asset, Bytes: raw, Zipped: zipped})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Stack != out[j].Stack {
			return out[i].Stack < out[j].Stack
		}
		return out[i].Function < out[j].Function
	})
	return out, nil
}

// zipSize zips every file under dir with the CDK CLI's compression level and counts the bytes.
func zipSize(dir string) (raw, zipped int64, err error) {
	var n countingWriter
	zw := zip.NewWriter(&n)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		hdr, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		hdr.Name, hdr.Method = filepath.ToSlash(rel), zip.Deflate
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		copied, err := io.Copy(w, f)
		raw += copied
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	return raw, int64(n), nil
}

type countingWriter int64

func (c *countingWriter) Write(b []byte) (int, error) {
	*c += countingWriter(len(b))
	return len(b), nil
}

// WriteSizes prints each function's asset, zipped, and the budget.
func WriteSizes(w io.Writer, sizes []AssetSize) {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "function\tentry\tbootstrap (bytes)\tzipped (bytes)\tzipped (MB)")
	for _, s := range sizes {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\n", s.Function, s.Entry, s.Bytes, s.Zipped, float64(s.Zipped)/(1<<20))
	}
	tw.Flush()
	fmt.Fprintf(w, "budget: %d bytes (4 MB) zipped per function\n", MaxZipped)
}
