package cost

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

//go:embed prices.json
var pricesJSON []byte

// ErrUnknownRegion is returned for a region the price table has no prices for.
var ErrUnknownRegion = errors.New("unknown region")

// Prices is the dated price table: list prices per region and the free tier.
type Prices struct {
	// Checked is the date the table was last compared with the pricing pages (YYYY-MM-DD).
	Checked  string `json:"checked"`
	Currency string `json:"currency"`
	// HoursPerMonth turns hourly prices (provisioned capacity) into monthly ones; AWS uses 730.
	HoursPerMonth float64                       `json:"hours_per_month"`
	Note          string                        `json:"note"`
	Regions       map[string]map[PriceKey]Price `json:"regions"`
	FreeTier      []Allowance                   `json:"free_tier"`
}

// PriceKey names one billed dimension, such as "lambda_requests".
type PriceKey string

// The billed dimensions the model uses; prices.json must have each of them in every region.
const (
	LambdaRequests       PriceKey = "lambda_requests"
	LambdaComputeX86     PriceKey = "lambda_compute_x86_64"
	LambdaComputeARM     PriceKey = "lambda_compute_arm64"
	HTTPAPIRequests      PriceKey = "apigw_http_requests"
	RESTAPIRequests      PriceKey = "apigw_rest_requests"
	SNSPublish           PriceKey = "sns_publish"
	SNSDeliveryLambda    PriceKey = "sns_delivery_lambda"
	SNSDeliverySQS       PriceKey = "sns_delivery_sqs"
	SQSRequests          PriceKey = "sqs_requests"
	DynamoDBWriteUnits   PriceKey = "dynamodb_write_units"
	DynamoDBReadUnits    PriceKey = "dynamodb_read_units"
	DynamoDBWCUHours     PriceKey = "dynamodb_wcu_hours"
	DynamoDBRCUHours     PriceKey = "dynamodb_rcu_hours"
	DynamoDBStorage      PriceKey = "dynamodb_storage"
	DynamoDBPITR         PriceKey = "dynamodb_pitr"
	LogsIngestion        PriceKey = "logs_ingestion"
	CloudWatchAlarms     PriceKey = "cloudwatch_alarms"
	SSMStandardParameter PriceKey = "ssm_standard_parameters"
	KMSKeys              PriceKey = "kms_keys"
)

var allKeys = []PriceKey{
	LambdaRequests, LambdaComputeX86, LambdaComputeARM, HTTPAPIRequests, RESTAPIRequests,
	SNSPublish, SNSDeliveryLambda, SNSDeliverySQS, SQSRequests, DynamoDBWriteUnits,
	DynamoDBReadUnits, DynamoDBWCUHours, DynamoDBRCUHours, DynamoDBStorage, DynamoDBPITR,
	LogsIngestion, CloudWatchAlarms, SSMStandardParameter, KMSKeys,
}

// Price is USD per Per units, e.g. 0.20 per 1,000,000 requests.
type Price struct {
	Service string  `json:"service"`
	USD     float64 `json:"usd"`
	Per     float64 `json:"per"`
	Unit    string  `json:"unit"`
	// MeteredBytes, when set, is the size one unit covers: a 600 KB HTTP API request is billed as
	// two requests (512 KB units), a 1.5 KB DynamoDB item write as two write units (1 KB).
	MeteredBytes float64 `json:"metered_bytes,omitempty"`
	Source       string  `json:"source"`
	Checked      string  `json:"checked"`
}

// Allowance is one free-tier offer: Quantity units of the listed prices each month, applied to
// the prices in the order given.
type Allowance struct {
	Name     string     `json:"name"`
	Prices   []PriceKey `json:"prices"`
	Quantity float64    `json:"quantity"`
	Unit     string     `json:"unit"`
	Term     string     `json:"term"`
	Source   string     `json:"source"`
	Checked  string     `json:"checked"`
}

// DefaultPrices is the table in prices.json, embedded in the binary.
func DefaultPrices() (Prices, error) {
	var p Prices
	if err := json.Unmarshal(pricesJSON, &p); err != nil {
		return Prices{}, fmt.Errorf("decode embedded prices.json: %w", err)
	}
	if err := p.validate(); err != nil {
		return Prices{}, fmt.Errorf("embedded prices.json: %w", err)
	}
	return p, nil
}

// validate checks that every region prices every dimension the model bills, so an estimate never
// silently prices something at zero because the table lacks it.
func (p Prices) validate() error {
	if p.HoursPerMonth <= 0 {
		return errors.New("hours_per_month must be positive")
	}
	if len(p.Regions) == 0 {
		return errors.New("no regions")
	}
	for region, table := range p.Regions {
		for _, k := range allKeys {
			pr, ok := table[k]
			if !ok {
				return fmt.Errorf("region %s has no price %q", region, k)
			}
			if pr.Per <= 0 || pr.USD < 0 || pr.Unit == "" || pr.Source == "" || pr.Checked == "" || pr.Service == "" {
				return fmt.Errorf("region %s price %q needs service, usd >= 0, per > 0, unit, source and checked", region, k)
			}
		}
	}
	for _, a := range p.FreeTier {
		if len(a.Prices) == 0 || a.Quantity <= 0 {
			return fmt.Errorf("free tier %q needs prices and a positive quantity", a.Name)
		}
	}
	return nil
}

// RegionNames lists the regions the table prices, sorted.
func (p Prices) RegionNames() []string {
	return slices.Sorted(maps.Keys(p.Regions))
}

// Region returns the prices of one region or an error that lists the known ones.
func (p Prices) Region(name string) (map[PriceKey]Price, error) {
	table, ok := p.Regions[name]
	if !ok {
		return nil, fmt.Errorf("%w %q: the price table has %s", ErrUnknownRegion, name, strings.Join(p.RegionNames(), ", "))
	}
	return table, nil
}
