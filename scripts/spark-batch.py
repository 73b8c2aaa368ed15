"""`ltci batch … --engine spark` as spark-submit runs it: the file spark-submit is given.

    spark-submit --master yarn scripts/spark-batch.py benefit --region xuzhou --month 2023-05 \
        hdfs:///ltci/months.parquet hdfs:///ltci/benefits-2023-05

The policy engine must be installed where this runs and on every worker (README, "The batch engine
on Spark"). No Django is imported.
"""

import sys

from ltci.policy.cli import main

if __name__ == "__main__":
    sys.exit(main(["batch", *sys.argv[1:], "--engine", "spark"]))
