package design

import (
	"fmt"
	"strconv"
	"strings"
)

// TableCapacity is the provisioned throughput of the ride table while it is provisioned (the
// steps before StepOnDemand): read and write capacity units. One write unit is one write per
// second of an item up to 1 KB; one read unit one strongly consistent read per second of an item
// up to 4 KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html).
type TableCapacity struct{ Read, Write int }

// OriginalTableCapacity is the original system's: its serverless.yml gave the ride table
// "ReadCapacityUnits: 1, WriteCapacityUnits: 1", the lines the workshop's "Add DynamoDB scaling"
// step removes. Step 0 is the original, so the stacks keep it unless told otherwise.
var OriginalTableCapacity = TableCapacity{Read: 1, Write: 1}

// TableCapacityContext is the app's context key that sets another capacity:
// `-c tableCapacity=5` (5 read and 5 write units) or `-c tableCapacity=10/5` (read/write).
const TableCapacityContext = "tableCapacity"

// maxTableCapacity is DynamoDB's default per-table quota of provisioned read or write units
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
const maxTableCapacity = 40000

// ParseTableCapacity reads "N" (N read and N write units) or "R/W".
func ParseTableCapacity(s string) (TableCapacity, error) {
	read, write, pair := strings.Cut(strings.TrimSpace(s), "/")
	if !pair {
		write = read
	}
	r, errR := strconv.Atoi(strings.TrimSpace(read))
	w, errW := strconv.Atoi(strings.TrimSpace(write))
	switch {
	case errR != nil || errW != nil:
		return TableCapacity{}, fmt.Errorf("%q is not a capacity: use N (read and write units) or R/W, e.g. 5 or 10/5", s)
	case r < 1 || w < 1 || r > maxTableCapacity || w > maxTableCapacity:
		return TableCapacity{}, fmt.Errorf("%q: each capacity must be between 1 and %d units (DynamoDB's per-table quota)", s, maxTableCapacity)
	}
	return TableCapacity{Read: r, Write: w}, nil
}

// String writes the capacity as ParseTableCapacity reads it.
func (c TableCapacity) String() string { return fmt.Sprintf("%d/%d", c.Read, c.Write) }
