package ddbproxy_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/ddbproxy"
)

// Each attribute type weighs what DynamoDB's item size rules say, to the byte: an item padded
// to exactly 1,024 bytes by that count takes one write unit, one byte more two.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
// (strings their UTF-8 bytes, binary its bytes, a number one byte per two significant digits
// plus one with leading and trailing zeroes trimmed, null and Boolean one byte, a list or map
// three bytes plus one per element besides its elements, a set the sum of its elements; and each
// attribute's name its UTF-8 bytes).
func TestAnItemIsWeighedAsDynamoDBWeighsIt(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, c := range []struct {
		what      string
		attribute string // one attribute of the item, as DynamoDB's JSON
		size      int    // its name and value, by the documented rules
	}{
		{"a string, by its UTF-8 bytes", `"s":{"S":"héllo"}`, 1 + 6},
		{"a number, by its significant digits", `"n":{"N":"-0012.3400"}`, 1 + 3}, // 1234: two bytes, plus one
		{"a number with an exponent", `"n":{"N":"5E+3"}`, 1 + 2},
		{"a zero", `"n":{"N":"0"}`, 1 + 1},
		{"binary, by its bytes", `"b":{"B":"` + b64("abc") + `"}`, 1 + 3},
		{"a Boolean", `"t":{"BOOL":true}`, 1 + 1},
		{"a null", `"z":{"NULL":true}`, 1 + 1},
		{"a string set", `"ss":{"SS":["ab","cde"]}`, 2 + 5},
		{"a number set", `"ns":{"NS":["1","22"]}`, 2 + 2 + 2},
		{"a binary set", `"bs":{"BS":["` + b64("xy") + `"]}`, 2 + 2},
		{"a map", `"m":{"M":{"a":{"S":"x"},"b":{"BOOL":false}}}`, 1 + 3 + 2 + (1 + 1) + (1 + 1)},
		{"an empty map", `"m":{"M":{}}`, 1 + 3},
		{"a list", `"l":{"L":[{"S":"ab"},{"N":"5"}]}`, 1 + 3 + 2 + 2 + 2},
	} {
		t.Run(c.what, func(t *testing.T) {
			p := proxyTo(t, &emulator{}, ddbproxy.Throughput{Read: 1000, Write: 1000}, nil)
			for _, extra := range []int{0, 1} {
				// "p" and its string make up the rest: one byte of name, the rest its value.
				pad := strings.Repeat("x", writeUnit-c.size-1+extra)
				before := p.Tables()[tableName].ConsumedWriteUnits
				body := fmt.Sprintf(`{"TableName":"rides","Item":{%s,"p":{"S":"%s"}}}`, c.attribute, pad)
				if status, answer := call(t, p, "PutItem", body); status != http.StatusOK {
					t.Fatalf("PutItem: %d %s", status, answer)
				}
				if got := p.Tables()[tableName].ConsumedWriteUnits - before; got != float64(1+extra) {
					t.Errorf("an item of %d bytes took %v write units, want %d", writeUnit+extra, got, 1+extra)
				}
			}
		})
	}
}

// writeUnit is what one write unit covers: an item of up to 1 KB.
const writeUnit = 1024

// answering stands in for the emulator's DynamoDB, answering each operation with its body.
type answering map[string]string

func (a answering) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if body, ok := a[op]; ok {
		io.WriteString(w, body)
		return
	}
	io.WriteString(w, `{}`)
}

// itemOf is an item of exactly n bytes as DynamoDB counts them.
func itemOf(n int) string {
	return fmt.Sprintf(`{"p":{"S":"%s"}}`, strings.Repeat("x", n-1))
}

// A batch or a query is charged as DynamoDB charges it: a batch write each put item by its size;
// a batch read each item by its own size; a query or scan the total size of what it returns,
// rounded up to 4 KB; each read half a unit per 4 KB eventually consistent, one strongly. Where
// the proxy differs it says so: a delete is one unit here (DynamoDB charges the size of the item
// it removes, which the proxy does not read; a ride is under 1 KB, one unit either way).
func TestBatchesQueriesAndScansAreChargedByTheirItems(t *testing.T) {
	kb := 1024
	upstream := answering{
		"BatchGetItem": fmt.Sprintf(`{"Responses":{"rides":[%s,%s]}}`, itemOf(5*kb), itemOf(3*kb)),
		"Query":        fmt.Sprintf(`{"Items":[%s,%s,%s]}`, itemOf(2*kb), itemOf(2*kb), itemOf(2*kb)),
		"Scan":         fmt.Sprintf(`{"Items":[%s]}`, itemOf(100)),
	}
	p := proxyTo(t, upstream, ddbproxy.Throughput{Read: 1000, Write: 1000}, nil)
	write := fmt.Sprintf(`{"RequestItems":{"rides":[{"PutRequest":{"Item":%s}},{"PutRequest":{"Item":%s}},{"DeleteRequest":{"Key":{"p":{"S":"x"}}}}]}}`,
		itemOf(kb), itemOf(kb+kb/2))
	for _, c := range []struct {
		operation, body string
		reads, writes   float64
	}{
		{"BatchWriteItem", write, 0, 1 + 2 + 1},
		// 5 KB: two 4 KB units, 3 KB: one; eventually consistent, half a unit each.
		{"BatchGetItem", `{"RequestItems":{"rides":{"Keys":[{"p":{"S":"a"}},{"p":{"S":"b"}}]}}}`, (2 + 1) * 0.5, 0},
		{"BatchGetItem", `{"RequestItems":{"rides":{"Keys":[{"p":{"S":"a"}},{"p":{"S":"b"}}],"ConsistentRead":true}}}`, 2 + 1, 0},
		// 6 KB in all: two 4 KB units (three items of 2 KB, each counted alone, would be three).
		{"Query", `{"TableName":"rides","KeyConditionExpression":"p = :p"}`, 2 * 0.5, 0},
		{"Query", `{"TableName":"rides","KeyConditionExpression":"p = :p","ConsistentRead":true}`, 2, 0},
		// Under 4 KB: one unit, as little as a read takes.
		{"Scan", `{"TableName":"rides"}`, 0.5, 0},
	} {
		before := p.Tables()[tableName]
		if status, answer := call(t, p, c.operation, c.body); status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.operation, status, answer)
		}
		after := p.Tables()[tableName]
		if reads, writes := after.ConsumedReadUnits-before.ConsumedReadUnits, after.ConsumedWriteUnits-before.ConsumedWriteUnits; reads != c.reads || writes != c.writes {
			t.Errorf("%s %s: consumed %v read and %v write units, want %v and %v", c.operation, c.body, reads, writes, c.reads, c.writes)
		}
	}
}
