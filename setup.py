from setuptools import find_packages, setup

setup(
    name="signaux_spark",
    version="0.1.0",
    description="Early-warning system for firms in difficulty, on Apache Spark and Delta Lake",
    python_requires=">=3.11",
    packages=find_packages(include=["signaux_spark", "signaux_spark.*"]),
    package_data={"signaux_spark.portal": ["templates/*.html", "static/*.css"]},
    install_requires=[
        # Spark and Delta are a pair: keep in step with conf/versions.env.
        "pyspark==4.2.0",
        "delta-spark==4.4.0",
        "pandas>=2.2,<3",  # pyspark 4.2 warns with pandas 3
        "numpy>=1.26",
        "pyarrow>=15",
        "pyyaml>=6",
        "mlflow>=3.1,<4",
        "hyperopt>=0.2.7",
        "shap>=0.46",
        "xgboost-cpu>=2.1",  # model.estimator: xgboost (xgboost.spark); the CPU build, without the 470 MB GPU library
        "scikit-learn>=1.4",  # bench/bench_real.py peer (also a dependency of shap)
        "openpyxl>=3.1",
        "matplotlib>=3.8",
        # The regional portal (signaux_spark/portal).
        "starlette>=0.40",
        "uvicorn>=0.30",
        "jinja2>=3.1",
        "sqlalchemy>=2.0",
        "argon2-cffi>=23.1",
        "python-multipart>=0.0.9",
        "itsdangerous>=2.1",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "chispa>=0.10",
            "hypothesis>=6",
            "nbmake>=1.5",
            "ipykernel>=6",
            "deltalake>=1.0",
            "duckdb>=1.1",
            "ruff>=0.15",
            "uv>=0.9",
            "httpx>=0.27",
            "selenium>=4.20",
            "psycopg[binary]>=3.1",
        ],
    },
)
