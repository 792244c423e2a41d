#!/bin/bash
# Every CLI output the split of matcher/cli.py had to keep (bench/RESULTS.md, 2026-12-07 16:11):
# help of every command and group (zh, --lang en), usage errors, report/explain, rules, profile check,
# batch to CSV; stdout, stderr and exit status one file each. Run from a tree, compare two runs:
#   bench/cli_outputs.sh /tmp/a   (in the old tree)   bench/cli_outputs.sh /tmp/b   (in the new)   diff -r /tmp/a /tmp/b
OUT=$1; mkdir -p $OUT; rm -f $OUT/*
. /work/venv/bin/activate
export PYTHONPATH=$PWD COLUMNS=100 POLICY_MATCH_NO_HELP_CACHE=1 TERM=dumb
n=0
r() { local f; n=$((n+1)); f=$(printf "%s/%03d" $OUT $n); echo "$*" > $f.cmd; python -m matcher.cli "$@" > $f.out 2> $f.err < /dev/null; echo $? > $f.rc; }
P=profiles/examples
T=$(mktemp -d)
for L in "" "--lang en"; do
  r --help $L
  r $L
  for c in demo report explain interview batch sql find whatif serve profile rules catalogue \
     "profile check" "profile template" "profile schema" "rules list" "rules show" "rules lint" "rules test" \
     "rules coverage" "rules diff" "rules draft" "catalogue import"; do
    r $c --help $L
  done
  r profile $L; r rules $L; r catalogue $L
  r bogus $L; r reprot $L; r report $L; r report --as-of $L; r report $P/beijing_software.yaml --format pdf $L
  r batch $L; r find onlyone $L; r demo --lang fr; r report --bogus $L; r profile chek $L; r rules shw $L
  r find bj-grad-expansion-subsidy profiles/demo.csv --top 0 $L; r explain $L; r serve --workers 0 $L
  r report nonexist.yaml $L; r batch profiles/demo.csv --only foo $L; r report $P/beijing_software.yaml --as-of 2022-13-01 $L
  r --catalogue $L; r sql --dialect oracle $L; r explain $P/beijing_software.yaml no-such-rule $L
  r batch profiles/demo.csv --map bad $L; r profile check tests/data/advisor/advisor_clean.csv --fields nope $L
  r batch profiles/demo.csv --engine spark --summary $L
  for p in $P/*; do
    r report $p --as-of 2022-07-01 $L
    r explain $p bj-grad-expansion-subsidy --as-of 2022-07-01 $L
  done
  r report $P/beijing_software.yaml --as-of 2022-07-01 --format json $L
  r report $P/beijing_software.yaml --as-of 2022-07-01 --format md $L
  r report $P/beijing_software.yaml --as-of 2022-07-01 --format csv --all $L
  r rules list $L
  r rules show bj-grad-expansion-subsidy $L
  for f in tests/data/advisor/advisor_*; do r profile check $f $L; r profile check $f --format csv $L; done
  r demo --as-of 2022-07-01 $L
  r demo --format csv $L
  r batch profiles/demo.csv --as-of 2022-07-01 --summary $L
  r find bj-grad-expansion-subsidy profiles/demo.csv --as-of 2022-07-01 $L
  r sql --as-of 2022-07-01 --dialect duckdb $L
done
r rules lint
r rules test
r profile schema
r batch profiles/demo.csv --as-of 2022-07-01 --out $T/out.csv
cp $T/out.csv $OUT/batch_out.csv
r batch tests/data/advisor/advisor_messy.xlsx --as-of 2022-07-01 --out $T/out2.csv --errors $T/err.csv
cp $T/out2.csv $OUT/batch_out2.csv; cp $T/err.csv $OUT/batch_err.csv
r profile template --format csv --out $T/t.csv; cp $T/t.csv $OUT/template.csv
sed -i "s#$T#TMP#g" $OUT/*.out $OUT/*.err $OUT/*.cmd
echo "$n runs"
