package deploy

import (
	"context"
	"fmt"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// CloudWatch (AWS::CloudWatch::*): the alarms are evaluated by the local CloudWatch, their
// actions run; the dashboards are kept for the console to draw.

func init() {
	register("AWS::CloudWatch::Alarm", provider{
		apply: func(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
			name := named(c, "AlarmName", 255)
			if err := e.CloudWatch.PutAlarm(name, model.ParseAlarmRule(c.props)); err != nil {
				return nil, false, err
			}
			c.nr.Physical = name
			c.nr.Attrs["Arn"] = e.CloudWatch.ARN(name)
			return c.nr, c.old != nil && c.old.Physical != name, nil
		},
		remove: func(_ context.Context, e *Engine, r *Resource) error {
			e.CloudWatch.DeleteAlarm(r.Physical)
			return nil
		},
	})
	register("AWS::CloudWatch::Dashboard", provider{
		apply: func(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
			name := named(c, "DashboardName", 255)
			body, ok := c.props["DashboardBody"].(string)
			if !ok {
				return nil, false, fmt.Errorf("DashboardBody is not a string once resolved: %v", c.props["DashboardBody"])
			}
			e.CloudWatch.PutDashboard(name, body)
			c.nr.Physical = name
			c.nr.Attrs["DashboardArn"] = fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", e.AccountID, name)
			return c.nr, c.old != nil && c.old.Physical != name, nil
		},
		remove: func(_ context.Context, e *Engine, r *Resource) error {
			e.CloudWatch.DeleteDashboard(r.Physical)
			return nil
		},
	})
}

// named is the resource's name: the template's nameProperty, else the one it had, else one
// CloudFormation makes up.
func named(c change, nameProperty string, limit int) string {
	if name, ok := c.props[nameProperty].(string); ok && name != "" {
		return name
	}
	if c.old != nil {
		return c.old.Physical
	}
	return physicalName(c.stack, c.res.LogicalID, limit)
}
