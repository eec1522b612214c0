#!/usr/bin/env bash
# Regenerate the example reports in reports/ from the bundled data (no download).
#   bash reports/make_examples.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Binary risk, categorical columns and missing values (the demo's data).
treedistill distill data/clinical_cohort.csv --target risk --student both \
  --out reports/clinical-cohort --seed 0 --force --quiet

# Three classes, categorical columns and missing values.
treedistill distill data/clinical_cohort_3class.csv --target risk --student both \
  --out reports/clinical-cohort-3class --seed 0 --force --quiet

# 30 numeric features (scikit-learn's breast cancer data).
treedistill distill data/breast_cancer.csv --target diagnosis --max-leaf-nodes 8 \
  --out reports/breast-cancer --seed 0 --force --quiet

echo "wrote reports/clinical-cohort reports/clinical-cohort-3class reports/breast-cancer"
