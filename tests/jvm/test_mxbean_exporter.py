"""The monitoring files shipped in scripts/ against the real MXBean. The Prometheus JMX exporter
rules (scripts/leakbridge-jmx-exporter.yaml), applied to every attribute of the MXBean of a real
JVM the way the exporter applies them (its pattern input "domain<props><>attr: value",
attrNameSnakeCase, the first rule that matches, $N in name and labels), make one gauge per
number attribute: leakbridge_live_bytes, leakbridge_live_blocks, leakbridge_limit_bytes,
leakbridge_usage_bytes, leakbridge_sample_bytes, and leakbridge_live_{bytes,blocks}_by_kind with
a kind label for every kind a report has; no text attribute matches. The alert rules
(scripts/leakbridge-alerts.yaml) pass promtool check rules and use only those gauges; promtool
test rules shows the growth alert firing for a steady leak of 2 MiB a minute after an hour, and
never for slower growth (512 KiB a minute), a flat series or a cache that fills for 30 minutes
and stays flat; the limit alert fires only at 90% of a limit. docs/flink.md shows both files as
they are."""
import os
import re
import shutil
import subprocess
import sys

import yaml

import lbtest
import mxbeantest
from lbtest import check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "scripts", "leakbridge-jmx-exporter.yaml")
ALERTS = os.path.join(ROOT, "scripts", "leakbridge-alerts.yaml")
DOC = os.path.join(ROOT, "docs", "flink.md")


def snake(name):
    """The exporter's toSnakeAndLowerCase."""
    out, prev_upper = [name[0].lower()], name[0].isupper() or name[0] == "_"
    for c in name[1:]:
        if not prev_upper and c.isupper():
            out.append("_")
        out.append(c.lower())
        prev_upper = c.isupper() or c == "_"
    return "".join(out)


def safe(name):
    """The exporter's toSafeName: other characters than [a-zA-Z0-9:_] become one '_'."""
    name = ("_" if name[:1].isdigit() else "") + name
    return re.sub(r"[^a-zA-Z0-9:_]+|_+", "_", name)


def export(rules, domain, props, attr, value):
    """(metric name, labels) the first matching rule makes of one attribute, or None."""
    for rule in rules:
        shown = snake(attr) if rule.get("attrNameSnakeCase") else attr
        text = "%s<%s><>%s: %s" % (domain, props, shown, value)
        m = re.fullmatch(r".*(?:%s).*" % rule["pattern"], text)
        if not m:
            continue

        def expand(s):
            return re.sub(r"\$(\d+)", lambda g: m.group(int(g.group(1))) or "", s)
        check("name" in rule, "a rule without a name exports in the default format: %s" % rule)
        labels = {safe(expand(k)): expand(v) for k, v in (rule.get("labels") or {}).items()}
        return safe(expand(rule["name"])), tuple(sorted(labels.items()))
    return None


def exporter_rules(env):
    with open(RULES) as f:
        config = yaml.safe_load(f)
    check(set(config) == {"rules"}, "the rules file sets more than rules: %s" % sorted(config))
    p = env.run("MXBeanRead", ["figures", mxbeantest.mapped_file(env)], options="sample=0")
    attributes = dict(l[len("attribute="):].split(" ", 1) for l in p.stdout.splitlines()
                      if l.startswith("attribute="))
    values = mxbeantest.values(p.stdout, "A")
    kinds = set(env.load(lbtest.stdout_value(p, "dump"))["totals"]["by_kind"])
    domain, _, props = mxbeantest.NAME.partition(":")
    got = {}
    for attr, type_ in attributes.items():
        value = values[attr] if attr != "TopSites" else "[Ljava.lang.String;@1"
        metric = export(config["rules"], domain, props, attr, value)
        print("%s (%s) -> %s" % (attr, type_, metric))
        if type_ != "long":
            check(metric is None, "text attribute %s is matched: %s" % (attr, metric))
            continue
        check(metric is not None, "no rule matches the number %s" % attr)
        check(metric not in got, "%s and %s both make %s" % (got.get(metric), attr, metric))
        got[metric] = attr
    expected = {("leakbridge_" + n, ()) for n in
                ("live_bytes", "live_blocks", "limit_bytes", "usage_bytes", "sample_bytes")}
    expected |= {("leakbridge_live_%s_by_kind" % w, (("kind", k),))
                 for w in ("bytes", "blocks") for k in kinds}
    check(set(got) == expected, "the rules make %s, expected %s" % (
        sorted(set(got) - expected), sorted(expected - set(got))))
    for (name, labels), attr in got.items():
        if labels:
            check(attr == mxbeantest.kind_attribute(labels[0][1], "blocks" in name),
                  "%s%s comes from %s" % (name, labels, attr))
    return {name for name, _ in got}


PROMTOOL_TEST = """
rule_files: [%(alerts)s]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # A leak: 2 MiB a minute for two and a half hours.
      - series: 'leakbridge_live_bytes{instance="leak:9404"}'
        values: '0+2097152x150'
      # Slower than the documented 1 MiB a minute: 512 KiB a minute.
      - series: 'leakbridge_live_bytes{instance="slow:9404"}'
        values: '0+524288x150'
      - series: 'leakbridge_live_bytes{instance="flat:9404"}'
        values: '104857600x150'
      # A cache: 2 MiB a minute for 30 minutes, then flat.
      - series: 'leakbridge_live_bytes{instance="cache:9404"}'
        values: '0+2097152x30 62914560x120'
      - series: 'leakbridge_limit_bytes{instance="full:9404"}'
        values: '1073741824x30'
      - series: 'leakbridge_usage_bytes{instance="full:9404"}'
        values: '1020054732x30'
      - series: 'leakbridge_limit_bytes{instance="roomy:9404"}'
        values: '1073741824x30'
      - series: 'leakbridge_usage_bytes{instance="roomy:9404"}'
        values: '536870912x30'
      - series: 'leakbridge_limit_bytes{instance="unlimited:9404"}'
        values: '-1x30'
      - series: 'leakbridge_usage_bytes{instance="unlimited:9404"}'
        values: '536870912x30'
    alert_rule_test:
      - eval_time: 50m
        alertname: LeakbridgeOffHeapGrowing
        exp_alerts: []
      - eval_time: 150m
        alertname: LeakbridgeOffHeapGrowing
        exp_alerts:
          - exp_labels: {severity: warning, instance: "leak:9404"}
            exp_annotations:
              summary: "Off-heap memory of leak:9404 keeps growing"
              description: "%(description)s"
      - eval_time: 20m
        alertname: LeakbridgeContainerNearLimit
        exp_alerts:
          - exp_labels: {severity: critical, instance: "full:9404"}
            exp_annotations:
              summary: "full:9404 uses more than 90%% of its container's memory limit"
"""


def alert_rules(env, gauges):
    promtool = shutil.which("promtool")
    check(promtool, "no promtool: run scripts/setup.sh (apt-get install prometheus)")
    with open(ALERTS) as f:
        alerts = yaml.safe_load(f)
    rules = [r for g in alerts["groups"] for r in g["rules"]]
    used = {n for r in rules for n in re.findall(r"leakbridge_\w+", r["expr"])}
    check(used and used <= gauges, "the alerts use %s, which the exporter rules do not make" % (
        sorted(used - gauges)))
    p = subprocess.run([promtool, "check", "rules", ALERTS], capture_output=True, text=True)
    sys.stdout.write(p.stdout + p.stderr)
    check(p.returncode == 0, "promtool check rules failed")
    growing = [r for r in rules if r["alert"] == "LeakbridgeOffHeapGrowing"][0]
    test_file = os.path.join(env.work, "alerts_test.yaml")
    with open(test_file, "w") as f:
        f.write(PROMTOOL_TEST % {"alerts": ALERTS,
                                 "description": growing["annotations"]["description"]})
    p = subprocess.run([promtool, "test", "rules", test_file], capture_output=True, text=True)
    sys.stdout.write(p.stdout + p.stderr)
    check(p.returncode == 0, "promtool test rules failed")


def documented():
    doc = open(DOC).read()
    for path in (RULES, ALERTS):
        text = open(path).read()
        check("```yaml\n" + text + "```" in doc, "docs/flink.md does not show %s as it is" % (
            os.path.relpath(path, ROOT)))


def test(env):
    gauges = exporter_rules(env)
    alert_rules(env, gauges)
    documented()


if __name__ == "__main__":
    lbtest.main(test)
