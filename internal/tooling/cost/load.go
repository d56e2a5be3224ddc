package cost

import "time"

// The price keys a load pays for as it goes: per request, per unit written, per GB logged. The
// provisioned capacity is paid by the hour whatever the load; the rest (storage, backups, alarms,
// parameters, keys) by the month.
var (
	perUse = map[PriceKey]bool{
		LambdaRequests: true, LambdaComputeX86: true, LambdaComputeARM: true, HTTPAPIRequests: true,
		RESTAPIRequests: true, SNSPublish: true, SNSDeliveryLambda: true, SNSDeliverySQS: true,
		SQSRequests: true, DynamoDBWriteUnits: true, DynamoDBReadUnits: true, LogsIngestion: true,
	}
	hourly = map[PriceKey]bool{DynamoDBWCUHours: true, DynamoDBRCUHours: true}
)

// LoadUSD is what a load lasting d costs when the report prices its rides as the month's
// (Profile.RidesPerMonth = the rides the load sent): every per-use line, and the provisioned
// capacity for d of the month's hoursPerMonth. Storage, backups, alarms, parameters and keys,
// paid by the month whatever the load, are left out.
func (r Report) LoadUSD(d time.Duration, hoursPerMonth float64) float64 {
	total := 0.0
	for _, l := range r.Lines {
		switch {
		case perUse[l.Price]:
			total += l.MonthlyUSD
		case hourly[l.Price] && hoursPerMonth > 0:
			total += l.MonthlyUSD * d.Hours() / hoursPerMonth
		}
	}
	return total
}
