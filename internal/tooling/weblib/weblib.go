// Package weblib holds the web libraries the tools' pages use, vendored from npm so that a page
// needs no network when it is opened: uPlot 1.6.32 (charts; MIT) and elkjs 0.12.1 (the Eclipse
// Layout Kernel's layered graph layout; EPL-2.0), each file as its npm package ships it, with its
// licence. Sources and checksums are in README.md.
package weblib

import "embed"

// FS holds uplot/ (uPlot.iife.min.js, uPlot.min.css) and elkjs/ (elk.bundled.js).
//
//go:embed uplot elkjs
var FS embed.FS
