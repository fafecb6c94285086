import { describe, expect, it } from 'vitest';
import { checkTemplate, expandTemplate, type TemplateData } from './index.js';
import { formatFloat, sprintf } from './go-fmt.js';

const data: TemplateData = {
  labels: { check: 'api', instance: 'host1:9100', team: 'sre' },
  externalLabels: { dc: 'eu1' },
  externalURL: 'http://testhost:9090/path/prefix',
  value: 0.95,
};
const expand = (text: string, value = data.value): string =>
  expandTemplate(text, { ...data, value }, { name: 'T', now: () => 1_700_000_000_123 });
const execErr = (col: number, at: string, msg: string): string =>
  `<error expanding template: error executing template __alert_T: template: __alert_T:1:${col}: executing "__alert_T" at <${at}>: ${msg}>`;
const parseErr = (msg: string, line = 1): string =>
  `<error expanding template: error parsing template __alert_T: template: __alert_T:${line}: ${msg}>`;
// Offset of the user's text after Prometheus' {{$labels := .Labels}}… prefix (error columns count it).
const P = 112;

describe('the brief example', () => {
  it('expands like Prometheus', () => {
    const t = [
      '{{ $labels.check }} is down ({{ $value | humanize }})',
      '{{ if gt $value 0.9 }}critical{{ else }}warning{{ end }} for {{ $labels.instance }}',
      '  {{- range $k, $v := $labels }} {{ $k }}={{ $v }}{{ end }}',
      '  {{ with $labels.team }}team {{ . }}{{ end }} {{ printf "%.2f" $value }} {{ humanizeDuration 3600 }}',
    ].join('\n');
    expect(expand(t)).toBe(
      'api is down (950m)\ncritical for host1:9100 check=api instance=host1:9100 team=sre\n  team sre 0.95 1h 0m 0s',
    );
  });
});

describe('Go float64 %v formatting of $value', () => {
  it.each([
    [1e6, '1e+06'], [1234567, '1.234567e+06'], [12345678, '1.2345678e+07'], [123456.789, '123456.789'],
    [100000, '100000'], [999999, '999999'], [0.1, '0.1'], [0.0001, '0.0001'], [0.00001, '1e-05'], [0.000123, '0.000123'],
    [1e21, '1e+21'], [1e20, '1e+20'], [1.5e300, '1.5e+300'], [5e-324, '5e-324'], [0, '0'], [-0, '-0'], [-2.5, '-2.5'],
    [1 / 3, '0.3333333333333333'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [NaN, 'NaN'], [42, '42'], [0.95, '0.95'],
  ])('%s → %s', (v, want) => {
    expect(expand('{{ $value }}', v)).toBe(want);
    expect(expand('{{ .Value }}', v)).toBe(want);
  });
  it.each([
    ['{{ 1 }}', '1'], ['{{ 1.0 }}', '1'], ['{{ 1e6 }}', '1e+06'], ['{{ -0.0 }}', '-0'], ["{{ 'a' }}", '97'],
    ['{{ 0x1F }}', '31'], ['{{ 1_000 }}', '1000'], ['{{ 017 }}', '15'],
  ])('literal %s → %s', (t, want) => expect(expand(t)).toBe(want));
});

describe('printf', () => {
  it.each([
    ['%.2f', [0.125], '0.12'], ['%.0f', [0.5], '0'], ['%.0f', [2.5], '2'], ['%.0f', [1.5], '2'], ['%.1f', [0.05], '0.1'],
    ['%5.1f|', [3.14159], '  3.1|'], ['%-6.2f|', [3.14159], '3.14  |'], ['%06.2f', [-1.5], '-01.50'], ['%+.1f', [2], '+2.0'],
    ['%e', [1234.5678], '1.234568e+03'], ['%E', [0.00012], '1.200000E-04'], ['%g', [0.000012345], '1.2345e-05'],
    ['%.4g', [1234567], '1.235e+06'], ['%.3g', [100], '100'], ['%g', [1e21], '1e+21'], ['%f', [1e21], '1000000000000000000000.000000'],
    ['%v', [0.1], '0.1'], ['%s', ['x'], 'x'], ['%5s|%-5s|', ['a', 'b'], '    a|b    |'], ['%.2s', ['abc'], 'ab'],
    ['%q', ['a"b\n'], '"a\\"b\\n"'], ['%x', ['hi'], '6869'], ['%%', [], '%'], ['%t', [true], 'true'],
    ['%f', [Infinity], '+Inf'], ['%f', [NaN], 'NaN'], ['%s %d', ['x'], 'x %!d(MISSING)'], ['%s', ['x', 'y'], 'x%!(EXTRA string=y)'],
    ['%d', [2.5], '%!d(float64=2.5)'], ['%s', [2.5], '%!s(float64=2.5)'], ['%', [], '%!(NOVERB)'],
  ] as const)('sprintf(%j, %j) = %j', (f, args, want) => {
    expect(sprintf(f, [...args])).toBe(want);
  });
  it.each([
    ['{{ printf "%d|%5d|%-4d|%05d|%x|%X|%o|%b|%c" 42 42 42 -42 255 255 8 5 65 }}', '42|   42|42  |-0042|ff|FF|10|101|A'],
    ['{{ printf "%d" $value }}', '%!d(float64=0.95)'],
    ['{{ printf "%v %T %T %T" $labels $value 1 "s" }}', 'map[check:api instance:host1:9100 team:sre] float64 int string'],
    ['{{ printf "%.1f%%" 99.95 }}', '100.0%'],
    ['{{ print 1 2 "a" "b" 3 nil }}', '1 2ab3 <nil>'],
    ['{{ println 1 "a" }}', '1 a\n'],
    ['{{ .Labels.check | printf "%s-%s" "x" }}', 'x-api'],
  ])('%s', (t, want) => expect(expand(t)).toBe(want));
  it('formatFloat matches strconv for %.4g used by humanize', () => {
    expect(formatFloat(1.234567, 'g', 4)).toBe('1.235');
    expect(formatFloat(0.12, 'g', 4)).toBe('0.12');
    expect(formatFloat(9.2233720368547758, 'g', 4)).toBe('9.223');
  });
});

describe('actions and control structures', () => {
  it.each([
    ['plain text', 'plain text'],
    ['{{/* a comment */}}x', 'x'],
    ['{{- /* trimmed comment */ -}}  a  {{- " b " -}}  c', 'a b c'],
    ['a {{- 1 }} {{ 2 -}} b', 'a1 2b'],
    ['{{ `raw\\n` }}|{{ "esc\\t\\u00e9\\x41\\101" }}', 'raw\\n|esc\téAA'],
    ['{{ $x := 1 }}{{ $x = 2 }}{{ $x }}', '2'],
    ['{{ $.Labels.check }}{{ $x := 1 }}{{ $x }}', 'api1'],
    ['{{ .Labels.check }} {{ $labels.check }} {{ .ExternalLabels.dc }} {{ $externalLabels.dc }} {{ $externalURL }}', 'api api eu1 eu1 http://testhost:9090/path/prefix'],
    ['{{ $labels.missing }}|{{ .Labels.missing }}|{{ index $labels "missing" }}', '||'],
    ['{{ if eq $value 1.0 }}one{{ else if eq $value 0.95 }}two{{ else }}other{{ end }}', 'two'],
    ['{{ if and (gt $value 0.5) (lt $value 1.0) }}mid{{ end }}', 'mid'],
    ['{{ if not $labels.missing }}absent{{ end }}', 'absent'],
    ['{{ with $labels.nope }}x{{ else }}y{{ end }}', 'y'],
    ['{{ with $labels.team }}{{ . }}{{ else with $labels.check }}{{ . }}{{ end }}', 'sre'],
    ['{{ with $labels.nope }}{{ . }}{{ else with $labels.check }}{{ . }}{{ end }}', 'api'],
    ['{{ range $labels }}{{ . }},{{ end }}', 'api,host1:9100,sre,'],
    ['{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}', 'check=api;instance=host1:9100;team=sre;'],
    ['{{ range $v := $labels }}{{ $v }};{{ end }}', 'api;host1:9100;sre;'],
    ['{{ range $i, $e := args "a" "b" }}{{ $i }}:{{ $e }} {{ end }}', 'arg0:a arg1:b '],
    ['{{ range $x := args }}{{ else }}empty{{ end }}', 'empty'],
    ['{{ range 3 }}{{ if eq . 1 }}{{ continue }}{{ end }}{{ . }}{{ end }}', '02'],
    ['{{ range $k, $v := $labels }}{{ if eq $k "instance" }}{{ break }}{{ end }}{{ $v }}{{ end }}', 'api'],
    ['{{ $n := 0 }}{{ range $labels }}{{ $n = len . }}{{ end }}{{ $n }}', '3'],
    ['{{ define "x" }}{{ .arg0 }} {{ .arg1 }} {{ .arg2 }}{{ end }}{{ template "x" args 1 "2" }}', '1 2 <no value>'],
    ['{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" $labels.check }}{{ template "t" }}', '[api][<no value>]'],
    ['{{ block "b" $labels.team }}<{{ . }}>{{ end }}', '<sre>'],
    ['{{ (printf "%s" "x") }} {{ ("abc" | len) }}', 'x 3'],
    ['{{ not 0 }} {{ and 1 0 }} {{ or 0 "" "z" }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ le 1.5 2.5 }} {{ ge "b" "a" }}', 'true 0 z true true true true'],
    ['{{ len $labels }} {{ len "é" }} {{ index $labels "check" }} {{ index "abc" 1 }}', '3 2 api 98'],
    ['{{ html "<a href=\'x\'>&" }} {{ js "a\'b<\\"" }} {{ urlquery "a b&c/é" }}', '&lt;a href=&#39;x&#39;&gt;&amp; a\\\'b\\u003C\\" a+b%26c%2F%C3%A9'],
    ['{{ . }}', '{map[check:api instance:host1:9100 team:sre] map[dc:eu1] http://testhost:9090/path/prefix 0.95}'],
  ])('%s', (t, want) => expect(expand(t)).toBe(want));
});

describe('Prometheus functions', () => {
  it.each([
    ['{{ humanize 0 }}:{{ humanize 1 }}:{{ humanize 1234567 }}:{{ humanize 0.12 }}:{{ humanize 0.0012 }}', '0:1:1.235M:120m:1.2m'],
    ['{{ humanize "1234567.0" }}:{{ humanize -1 }}:{{ humanize 9223372036854775807 }}:{{ humanize 1e30 }}', '1.235M:-1:9.223E:1e+06Y'],
    ['{{ humanize1024 0 }}:{{ humanize1024 1048576 }}:{{ humanize1024 0.12 }}:{{ humanize1024 1234567 }}', '0:1Mi:0.12:1.177Mi'],
    [
      '{{ range args 0 1 60 3600 86400 90000 -183845 899.99 3661 }}{{ humanizeDuration . }}:{{ end }}',
      '0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:1h 1m 1s:',
    ],
    [
      '{{ range args 0.1 0.0001 0.12345 60.1 1.2345 12.345 0.05 -0.5 "1.5" }}{{ humanizeDuration . }}:{{ end }}',
      '100ms:100us:123.5ms:1m 0s:1.234s:12.35s:50ms:-500ms:1.5s:',
    ],
    ['{{ humanizePercentage 0.1234 }}:{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}:{{ humanizePercentage 1234567 }}', '12.34%:-22.22%:0%:123.5%:1.235e+08%'],
    ['{{ 1435065584.128 | humanizeTimestamp }}|{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp -1 }}', '2015-06-23 13:19:44.128 +0000 UTC|1970-01-01 00:00:00 +0000 UTC|1969-12-31 23:59:59 +0000 UTC'],
    ['{{ range args "+Inf" "-Inf" "NaN" }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{ humanizeTimestamp . }}:{{ end }}', '+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:'],
    ['{{ (1435065584.128 | toTime).Format "2006-01-02T15:04:05.000Z07:00 Mon Jan 2" }}', '2015-06-23T13:19:44.128Z Tue Jun 23'],
    ['{{ toTime 1435065584.128 }} {{ (toTime 1435065584).Unix }}', '2015-06-23 13:19:44.128 +0000 UTC 1435065584'],
    ['{{ toDuration 3723.5 }} {{ toDuration 0.0015 }} {{ toDuration 0 }} {{ (toDuration 90).Minutes }}', '1h2m3.5s 1.5ms 0s 1.5'],
    ['{{ printf "%0.2f" (parseDuration "1h2m10ms") }} {{ parseDuration "1w" }} {{ parseDuration "-90s" }}', '3720.01 604800 -90'],
    ['{{ now }} {{ humanizeTimestamp now }}', '1.700000000123e+09 2023-11-14 22:13:20.122 +0000 UTC'],
    // ^ .122, not .123: Go truncates float64(1700000000.123)*1e9 to ms the same way.
    ['{{ "aa bb CC" | title }}|{{ "aA bB CC" | toLower }}|{{ "aa bb ß" | toUpper }}|{{ title "hello-world_x" }}', 'Aa Bb CC|aa bb cc|AA BB ß|Hello-World_x'],
    ['{{ match "a+" "aa" }} {{ match "^a+$" "b" }} {{ match "(?i)^API$" $labels.check }}', 'true false true'],
    ['{{ reReplaceAll "(a)b" "x$1" "ab" }}|{{ reReplaceAll "(?P<h>[^:]+):(\\\\d+)" "${h}!$2" $labels.instance }}|{{ reReplaceAll "a*" "-" "baaac" }}|{{ reReplaceAll "(a)" "$1x" "a" }}', 'xa|host1!9100|-b-c-|'],
    ['{{ "foo.example.com" | stripPort }}|{{ "foo.example.com:12345" | stripPort }}|{{ "[2001:0DB8::1]:12345" | stripPort }}|{{ "[2001:0DB8::1]::12345" | stripPort }}', 'foo.example.com|foo.example.com|2001:0DB8::1|[2001:0DB8::1]::12345'],
    ['{{ "foo.example.com" | stripDomain }}|{{ "foo.example.com:12345" | stripDomain }}|{{ "192.0.2.1:12345" | stripDomain }}|{{ "[2001:0DB8::1]:12345" | stripDomain }}', 'foo|foo:12345|192.0.2.1:12345|[2001:0DB8::1]:12345'],
    ['{{ urlQueryEscape "a b/c?d=é" }}', 'a+b%2Fc%3Fd%3D%C3%A9'],
    ['{{ "<b>" | safeHtml }}', '<b>'],
    ['{{ graphLink "up == 0" }} {{ tableLink "up" }}', '/graph?g0.expr=up+%3D%3D+0&g0.tab=0 /graph?g0.expr=up&g0.tab=1'],
    ['{{ externalURL }} {{ pathPrefix }}', 'http://testhost:9090/path/prefix /path/prefix'],
    ['{{ define "x" }}{{ .arg0 }} {{ .arg1 }}{{ end }}{{ template "x" (args 1 "2") }}', '1 2'],
  ])('%s', (t, want) => expect(expand(t)).toBe(want));

  it('query/first/label/value/sortByLabel use the injected query function', () => {
    const seen: string[] = [];
    const query = (expr: string) => {
      seen.push(expr);
      return [
        { labels: { __name__: 'up', instance: 'b' }, value: 21 },
        { labels: { __name__: 'up', instance: 'a' }, value: 1e6 },
      ];
    };
    const run = (t: string) => expandTemplate(t, data, { query, name: 'T' });
    expect(run('{{ range query "up" | sortByLabel "instance" }}{{ .Labels.instance }}:{{ .Value }} {{ end }}')).toBe('a:1e+06 b:21 ');
    expect(run('{{ query "up" | first | value }} {{ query "up" | first | label "instance" }} {{ query "up" | first | label "nope" }}')).toBe('21 b ');
    expect(run('{{ with query "up" }}{{ len . }}{{ end }} {{ (query "up" | first).Labels.__name__ }}')).toBe('2 up');
    expect(seen).toContain('up');
    expect(expandTemplate('{{ query "x" | first }}', data, { query: () => [], name: 'T' })).toBe(
      execErr(P + 15, 'first', 'error calling first: first() called on vector with no elements'),
    );
    expect(expandTemplate('{{ (query "x").banana }}', data, { query: () => [], name: 'T' })).toBe(
      execErr(P + 10, '"x"', "can't evaluate field banana in type template.queryResult"),
    );
  });
});

describe('errors', () => {
  it.each([
    ['{{', parseErr('unclosed action')],
    ['{{ foo }}', parseErr('function "foo" not defined')],
    ['{{ 1 | 2 }}', parseErr('non executable command in pipeline stage 2')],
    ['{{ | humanize }}', parseErr('unexpected "|" in command')],
    ['{{ if }}', parseErr('missing value for if')],
    ['{{ end }}', parseErr('unexpected {{end}}')],
    ['{{ else }}', parseErr('unexpected {{else}}')],
    ['{{ if 1 }}x', parseErr('unexpected EOF')],
    ['{{ $undefined }}', parseErr('undefined variable "$undefined"')],
    ['{{ "unterminated }}', parseErr('unterminated quoted string')],
    ['{{ (1 }}', parseErr('unclosed left paren')],
    ['{{ 1) }}', parseErr('unexpected right paren')],
    ['{{ /* x */ }}', parseErr('unexpected "/" in command')],
    ['{{/* unclosed', parseErr('unclosed comment')],
    ['{{ "\\q" }}', parseErr('invalid syntax')],
    ['{{ break }}', parseErr('{{break}} outside {{range}}')],
    ['a\n{{ if }}', parseErr('missing value for if', 2)],
    ['{{ 1.2.3 }}', parseErr('unexpected ".3" in operand')],
    ['{{ "a".b }}', parseErr('unexpected . after term "\\"a\\""')],
    ['{{ .Foo }}', execErr(P + 3, '.Foo', "can't evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }")],
    ['{{ gt $value 1 }}', execErr(P + 3, 'gt $value 1', 'error calling gt: incompatible types for comparison')],
    ['{{ humanize "one" }}', execErr(P + 3, 'humanize "one"', 'error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax')],
    ['{{ "one" | humanizePercentage }}', execErr(P + 11, 'humanizePercentage', 'error calling humanizePercentage: strconv.ParseFloat: parsing "one": invalid syntax')],
    ['{{ humanize true }}', execErr(P + 3, 'humanize true', "error calling humanize: can't convert bool to float")],
    ['{{ humanizeTimestamp 1e300 }}', execErr(P + 3, 'humanizeTimestamp 1e300', 'error calling humanizeTimestamp: 1e+300 cannot be represented as a nanoseconds timestamp since it overflows int64')],
    ['{{ humanize }}', execErr(P + 3, 'humanize', 'wrong number of args for humanize: want 1 got 0')],
    ['{{ toUpper 1 }}', execErr(P + 11, '1', 'expected string; found 1')],
    ['{{ "<b>" | safeHtml | toUpper }}', execErr(P + 22, 'toUpper', 'wrong type for value; expected string; got template.HTML')],
    ['{{ 1 2 }}', execErr(P + 3, '1', "can't give argument to non-function 1")],
    ['{{ nil }}', execErr(P + 3, 'nil', 'nil is not a command')],
    // Go positions a merged $x.Field node at its first field, hence column P+9.
    ['{{ $value.Foo }}', execErr(P + 9, '$value.Foo', "can't evaluate field Foo in type float64")],
    ['{{ range $value }}{{ end }}', execErr(P + 9, '$value', "range can't iterate over 0.95")],
    ['{{ template "nope" }}', execErr(P + 12, '{{template "nope"}}', 'template "nope" not defined')],
    ['{{ index $labels 1 }}', execErr(P + 3, 'index $labels 1', 'error calling index: value has type int; should be string')],
    ['{{ len 3 }}', execErr(P + 3, 'len 3', 'error calling len: len of type int')],
    ['{{ reReplaceAll "(" "" "x" }}', expect.stringMatching(/^<error expanding template: error executing template __alert_T: .* error calling reReplaceAll: regexp: Compile\(`\(`\): error parsing regexp: /)],
    ['{{ parseDuration "5x" }}', execErr(P + 3, 'parseDuration "5x"', 'error calling parseDuration: unknown unit "x" in duration "5x"')],
    ['{{ query "up" }}', execErr(P + 3, 'query "up"', 'error calling query: no query function is configured')],
  ])('%s', (t, want) => expect(expand(t)).toEqual(want));

  it('reports the user line and a byte column on later lines', () => {
    expect(expand('ok\n  {{ humanize "é" }}')).toBe(
      '<error expanding template: error executing template __alert_T: template: __alert_T:2:5: executing "__alert_T" at <humanize "é">: error calling humanize: strconv.ParseFloat: parsing "é": invalid syntax>',
    );
  });

  it('never throws, whatever the input', () => {
    for (const t of ['{{', '}}', '{{ $ }}', '{{ . | . }}', '{{ define "a" }}{{ template "a" }}{{ end }}{{ template "a" }}', '{{{{}}}}']) {
      expect(() => expand(t)).not.toThrow();
    }
    expect(expand('{{ define "a" }}{{ template "a" }}{{ end }}{{ template "a" }}')).toMatch(/exceeded maximum template depth/);
  });
});

describe('checkTemplate', () => {
  it.each([
    ['{{ $labels.instance }} {{ $value | humanize }}', undefined],
    ['{{ if gt $value 1.0 }}x{{ end }}', undefined],
    ['{{ .Foo }}', undefined],
    ['{{ foo }}', 'template: __alert_:1: function "foo" not defined'],
    ['{{ if 1 }}', 'template: __alert_:1: unexpected EOF'],
    ['{{', 'template: __alert_:1: unclosed action'],
    ['{{\u00a0}}', 'template: __alert_:1: unrecognized character in action: U+00A0'],
  ])('%s', (t, want) => expect(checkTemplate(t)).toBe(want));

  it('names the template after the alert', () => {
    expect(checkTemplate('{{ nope }}', 'HostDown')).toBe('template: __alert_HostDown:1: function "nope" not defined');
  });
});

describe('caching', () => {
  it('expands a cached template the same every time', () => {
    const t = '{{ $labels.check }} {{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}{{ $value | humanize }}';
    const first = expand(t);
    for (let i = 0; i < 200; i++) expect(expand(t)).toBe(first);
  });
});
