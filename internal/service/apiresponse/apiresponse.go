// Package apiresponse builds the HTTP API answers both services give: JSON bodies with the CORS
// header the workshop's web page needs, and errors as {"error": "..."}.
package apiresponse

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
)

// JSON answers status with body.
func JSON(status int, body []byte) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type": "application/json",
			// The workshop's web page calls the API from another origin.
			"Access-Control-Allow-Origin": "*",
		},
		Body: string(body),
	}
}

// Error answers status with {"error": msg}.
func Error(status int, msg string) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	return JSON(status, body)
}
