package ddbproxy

import (
	"encoding/json"
	"strings"
)

// cost is what one request consumes of which tables.
type cost struct {
	operation string
	charges   []charge
	// reads, for a read operation: the tables whose answer settle reads the size from.
	consistent map[string]bool
}

// charge is one table's part of a request.
type charge struct {
	table string
	write bool
	// units charged up front: a write's exact units; a read's least (its items' count, in read
	// units: one, or half when eventually consistent).
	units float64
	items int
}

// request is the part of a request body the meter reads.
type request struct {
	TableName      string
	Item           item
	ConsistentRead bool
	RequestItems   map[string]json.RawMessage
}

// costOf reads what a DynamoDB request (X-Amz-Target "DynamoDB_20120810.<Operation>") costs, as
// DynamoDB meters it
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
// PutItem costs its item's write units; UpdateItem and DeleteItem one unit each, the items of
// this system being under 1 KB (DynamoDB charges the larger of the old and new item, which the
// proxy does not read); a read is charged by the size of what it returns (see readUnits). A
// batch is throttled whole when one of its tables cannot take all its items (DynamoDB would
// return the items it could not process); transactions are not metered.
func costOf(target string, body []byte) (cost, bool) {
	op, ok := strings.CutPrefix(target, "DynamoDB_20120810.")
	if !ok {
		return cost{}, false
	}
	var req request
	if json.Unmarshal(body, &req) != nil {
		return cost{}, false
	}
	c := cost{operation: op, consistent: map[string]bool{}}
	read := func(table string, items int, consistent bool) {
		c.consistent[table] = consistent
		c.charges = append(c.charges, charge{table: table, units: float64(items) * readUnit(consistent), items: items})
	}
	switch op {
	case "PutItem":
		c.charges = []charge{{table: req.TableName, write: true, units: units(req.Item.size(), writeUnitBytes), items: 1}}
	case "UpdateItem", "DeleteItem":
		c.charges = []charge{{table: req.TableName, write: true, units: 1, items: 1}}
	case "GetItem", "Query", "Scan":
		read(req.TableName, 1, req.ConsistentRead)
	case "BatchWriteItem":
		for table, raw := range req.RequestItems {
			var writes []struct {
				PutRequest    *struct{ Item item }
				DeleteRequest *struct{}
			}
			_ = json.Unmarshal(raw, &writes)
			ch := charge{table: table, write: true, items: len(writes)}
			for _, wr := range writes {
				if wr.PutRequest != nil {
					ch.units += units(wr.PutRequest.Item.size(), writeUnitBytes)
				} else {
					ch.units++
				}
			}
			c.charges = append(c.charges, ch)
		}
	case "BatchGetItem":
		for table, raw := range req.RequestItems {
			var keys struct {
				Keys           []json.RawMessage
				ConsistentRead bool
			}
			_ = json.Unmarshal(raw, &keys)
			read(table, len(keys.Keys), keys.ConsistentRead)
		}
	default:
		return cost{}, false
	}
	return c, true
}

// readUnit is a read of up to 4 KB: one unit strongly consistent, half eventually consistent.
func readUnit(consistent bool) float64 {
	if consistent {
		return 1
	}
	return 0.5
}

// readUnits is what a read's answer consumed per table beyond what costOf charged: GetItem its
// item's size in 4 KB units; Query and Scan the total size of the items returned, rounded up to
// 4 KB; BatchGetItem each item's own.
func readUnits(c cost, answer []byte) map[string]float64 {
	var out struct {
		Item      item
		Items     []item
		Responses map[string][]item
	}
	if json.Unmarshal(answer, &out) != nil {
		return nil
	}
	extra := map[string]float64{}
	for _, ch := range c.charges {
		if ch.write {
			continue
		}
		unit := readUnit(c.consistent[ch.table])
		var used float64
		switch c.operation {
		case "GetItem":
			used = units(out.Item.size(), readUnitBytes) * unit
		case "Query", "Scan":
			total := 0
			for _, it := range out.Items {
				total += it.size()
			}
			used = units(total, readUnitBytes) * unit
		case "BatchGetItem":
			for _, it := range out.Responses[ch.table] {
				used += units(it.size(), readUnitBytes) * unit
			}
		}
		extra[ch.table] = used - ch.units
	}
	return extra
}
