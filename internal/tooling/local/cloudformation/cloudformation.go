// Package cloudformation is the local system's CloudFormation endpoint, on its own loopback
// listener: the Query API's DescribeStacks, ContinueUpdateRollback and DeleteStack, answered from the deploy
// engine as CloudFormation answers them (the SDK's CloudFormation client reads them, pointed here
// by AWS_ENDPOINT_URL_CLOUDFORMATION), and the URLs custom resources PUT their answers to.
package cloudformation

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
)

// Engine is what the endpoint answers from: the local deploy engine.
type Engine interface {
	Describe(nameOrID string) ([]deploy.Description, error)
	ContinueUpdateRollback(ctx context.Context, nameOrID string, skip []string) (<-chan error, error)
	Delete(ctx context.Context, nameOrID string) (<-chan error, error)
	Respond(requestID string, body []byte) error
}

var _ Engine = (*deploy.Engine)(nil)

// responsesPath is where custom resources PUT their answers: responsesPath/REQUEST_ID.
const responsesPath = "/custom-resource-responses"

// Server is the endpoint.
type Server struct {
	// URL is the endpoint (AWS_ENDPOINT_URL_CLOUDFORMATION).
	URL string
	l   net.Listener
	srv *loopback.Server
}

// Listen takes a free loopback port for the endpoint; Serve starts answering on it once the
// engine, which needs ResponsesURL, exists.
func Listen() (*Server, error) {
	l, err := loopback.Listen("CloudFormation", 0)
	if err != nil {
		return nil, err
	}
	return &Server{URL: "http://" + l.Addr().String(), l: l}, nil
}

// ResponsesURL is the base of the ResponseURL of every custom resource request.
func (s *Server) ResponsesURL() string { return s.URL + responsesPath }

// Serve answers from e until Shutdown.
func (s *Server) Serve(e Engine) {
	mux := http.NewServeMux()
	mux.Handle("PUT "+responsesPath+"/{id}", respond(e))
	mux.Handle("POST /{$}", query(e))
	s.srv = loopback.ServeOn(s.l, mux)
}

// Shutdown stops the listener.
func (s *Server) Shutdown(ctx context.Context) {
	if s != nil {
		s.srv.Shutdown(ctx)
	}
}

// respond takes a custom resource's answer, as the pre-signed S3 URL CloudFormation hands out
// does: 200 for a request it sent.
func respond(e Engine) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// A little more than CloudFormation reads, so an answer over its limit is seen as such.
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := e.Respond(r.PathValue("id"), body); errors.Is(err, deploy.ErrNoRequest) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// query answers the Query API (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/Welcome.html):
// form-encoded actions, XML answers.
func query(e Engine) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			queryError(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
			return
		}
		switch action := r.Form.Get("Action"); action {
		case "DescribeStacks":
			describeStacks(w, e, r.Form.Get("StackName"))
		case "ContinueUpdateRollback":
			var skip []string
			for n := 1; r.Form.Has("ResourcesToSkip.member." + strconv.Itoa(n)); n++ {
				skip = append(skip, r.Form.Get("ResourcesToSkip.member."+strconv.Itoa(n)))
			}
			// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ContinueUpdateRollback.html
			_, err := e.ContinueUpdateRollback(context.WithoutCancel(r.Context()), r.Form.Get("StackName"), skip)
			started(w, action, err)
		case "DeleteStack":
			// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html
			_, err := e.Delete(context.WithoutCancel(r.Context()), r.Form.Get("StackName"))
			started(w, action, err)
		default:
			queryError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service (the local CloudFormation answers DescribeStacks, ContinueUpdateRollback and DeleteStack).", action))
		}
	}
}

const xmlns = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// stack is DescribeStacks' Stack (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html).
type stack struct {
	StackName         string
	StackId           string
	Description       string      `xml:",omitempty"`
	Parameters        []parameter `xml:"Parameters>member"`
	CreationTime      string
	LastUpdatedTime   string `xml:",omitempty"`
	StackStatus       string
	StackStatusReason string `xml:",omitempty"`
	DisableRollback   bool
	Outputs           []output `xml:"Outputs>member"`
}

type parameter struct{ ParameterKey, ParameterValue string }

type output struct {
	OutputKey, OutputValue string
	Description            string `xml:",omitempty"`
}

type describeStacksResponse struct {
	XMLName xml.Name `xml:"DescribeStacksResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Stacks struct {
			Members []stack `xml:"member"`
		}
	} `xml:"DescribeStacksResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

func describeStacks(w http.ResponseWriter, e Engine, nameOrID string) {
	descs, err := e.Describe(nameOrID)
	var missing *deploy.ErrNoStack
	switch {
	case errors.As(err, &missing):
		queryError(w, http.StatusBadRequest, "ValidationError", err.Error())
		return
	case err != nil:
		queryError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	resp := describeStacksResponse{Xmlns: xmlns, RequestID: uuid.NewString()}
	for _, d := range descs {
		st := stack{StackName: d.Name, StackId: d.ID, Description: d.Description, CreationTime: timestamp(d.Created),
			LastUpdatedTime: timestamp(d.Updated), StackStatus: string(d.Status), StackStatusReason: d.Reason}
		for _, key := range slices.Sorted(maps.Keys(d.Parameters)) {
			st.Parameters = append(st.Parameters, parameter{key, d.Parameters[key]})
		}
		for _, o := range d.Outputs {
			st.Outputs = append(st.Outputs, output{o.Key, o.Value, o.Description})
		}
		resp.Result.Stacks.Members = append(resp.Result.Stacks.Members, st)
	}
	writeXML(w, http.StatusOK, resp)
}

// started answers an action that CloudFormation starts and answers at once (DescribeStacks then
// shows how it goes), or its refusal.
func started(w http.ResponseWriter, action string, err error) {
	if err != nil {
		queryError(w, http.StatusBadRequest, "ValidationError", strings.TrimPrefix(err.Error(), "ValidationError: "))
		return
	}
	writeXML(w, http.StatusOK, startedResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: xmlns,
		Result: struct{ XMLName xml.Name }{xml.Name{Local: action + "Result"}}, RequestID: uuid.NewString()})
}

// startedResponse is the Query API's answer to an action with an empty result.
type startedResponse struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	Result    struct{ XMLName xml.Name }
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

// queryError is the Query API's error answer.
func queryError(w http.ResponseWriter, status int, code, message string) {
	resp := errorResponse{Xmlns: xmlns, RequestID: uuid.NewString()}
	resp.Error.Type, resp.Error.Code, resp.Error.Message = "Sender", code, message
	if status >= 500 {
		resp.Error.Type = "Receiver"
	}
	writeXML(w, status, resp)
}

// writeXML answers v as XML, in one piece with its length.
func writeXML(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
