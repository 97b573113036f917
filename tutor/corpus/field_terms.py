"""What the grader knows about the field without reading the material: common acronyms and
the terms that are easily confused with one another.

Data only. `tutor.corpus.glossary` merges it with what the material itself defines, so a
grader given no material still knows that RLHF is reinforcement learning from human
feedback and that "unsupervised learning" is not a misspelling of "supervised learning".
"""

from __future__ import annotations

ACRONYMS: dict[str, tuple[str, ...]] = {
    "AI": ("artificial intelligence",),
    "ANN": ("artificial neural network", "approximate nearest neighbour"),
    "API": ("application programming interface",),
    "AUC": ("area under the curve",),
    "BERT": ("bidirectional encoder representations from transformers",),
    "CNN": ("convolutional neural network",),
    "CoT": ("chain of thought",),
    "CPU": ("central processing unit",),
    "DL": ("deep learning",),
    "DLT": ("Delta Live Tables",),
    "DPO": ("direct preference optimisation",),
    "DQN": ("deep Q-network",),
    "ETL": ("extract transform load",),
    "GAN": ("generative adversarial network",),
    "GenAI": ("generative AI",),
    "GPT": ("generative pre-trained transformer",),
    "GPU": ("graphics processing unit",),
    "GRU": ("gated recurrent unit",),
    "HNSW": ("hierarchical navigable small world",),
    "KNN": ("k-nearest neighbours",),
    "LLM": ("large language model",),
    "LoRA": ("low-rank adaptation",),
    "LSTM": ("long short-term memory",),
    "MDP": ("Markov decision process",),
    "ML": ("machine learning",),
    "MLOps": ("machine learning operations",),
    "MoE": ("mixture of experts",),
    "MSE": ("mean squared error",),
    "NER": ("named entity recognition",),
    "NLP": ("natural language processing",),
    "NN": ("neural network",),
    "OCR": ("optical character recognition",),
    "PCA": ("principal component analysis",),
    "PEFT": ("parameter-efficient fine-tuning",),
    "PII": ("personally identifiable information",),
    "PPO": ("proximal policy optimisation",),
    "QA": ("question answering",),
    "RAG": ("retrieval-augmented generation",),
    "RBAC": ("role-based access control",),
    "RL": ("reinforcement learning",),
    "RLAIF": ("reinforcement learning from AI feedback",),
    "RLHF": ("reinforcement learning from human feedback",),
    "RMSE": ("root mean squared error",),
    "RNN": ("recurrent neural network",),
    "SFT": ("supervised fine-tuning",),
    "SQL": ("structured query language",),
    "SVM": ("support vector machine",),
    "TF-IDF": ("term frequency inverse document frequency",),
    "t-SNE": ("t-distributed stochastic neighbour embedding",),
    "UC": ("Unity Catalog",),
    "VAE": ("variational autoencoder",),
}
"""Acronym -> its expansions. Function words and British/American spelling do not matter
when an answer is compared with an expansion."""

SIBLINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "learning paradigm",
        (
            "supervised learning",
            "unsupervised learning",
            "semi-supervised learning",
            "self-supervised learning",
            "reinforcement learning",
            "deep learning",
            "transfer learning",
        ),
    ),
    ("learning paradigm", ("supervised", "unsupervised", "semi-supervised", "self-supervised")),
    ("component", ("encoder", "decoder", "autoencoder")),
    ("component", ("generator", "discriminator")),
    (
        "prompting technique",
        (
            "zero-shot prompting",
            "one-shot prompting",
            "few-shot prompting",
            "chain-of-thought prompting",
            "prompt chaining",
        ),
    ),
    ("setting", ("zero-shot", "one-shot", "few-shot", "zero-shot learning", "few-shot learning")),
    ("tool", ("MLflow", "MLlib", "LangChain", "LlamaIndex", "Hugging Face")),
    (
        "storage layer",
        ("data lake", "Delta Lake", "data warehouse", "lakehouse", "Delta table", "data lakehouse"),
    ),
    ("kind of feedback", ("human feedback", "AI feedback")),
    ("method", ("RLHF", "RLAIF", "DPO", "PPO")),
    ("metric", ("precision", "recall", "accuracy", "F1 score", "perplexity", "BLEU", "ROUGE")),
    ("generative model", ("GAN", "VAE", "diffusion model", "autoregressive model")),
    ("architecture", ("CNN", "RNN", "LSTM", "GRU", "transformer", "MLP")),
    (
        "architecture",
        (
            "convolutional neural network",
            "recurrent neural network",
            "feedforward neural network",
            "graph neural network",
        ),
    ),
    ("task", ("classification", "regression", "clustering", "dimensionality reduction")),
    ("model", ("linear regression", "logistic regression", "polynomial regression")),
    ("model", ("decision tree", "random forest", "gradient boosting", "support vector machine")),
    ("method", ("K-means", "K-nearest neighbours", "hierarchical clustering", "DBSCAN")),
    ("method", ("PCA", "t-SNE", "LDA", "SVD", "UMAP")),
    ("problem", ("overfitting", "underfitting")),
    ("problem", ("vanishing gradients", "exploding gradients")),
    ("quantity", ("bias", "variance")),
    ("trade-off", ("exploration", "exploitation")),
    ("algorithm", ("Q-learning", "SARSA", "deep Q-network", "policy gradient")),
    ("concept", ("reward", "penalty", "policy", "value function", "state", "action")),
    ("step", ("training", "inference", "fine-tuning", "pre-training")),
    ("step", ("tokenization", "chunking", "embedding", "indexing", "retrieval")),
    ("component", ("model registry", "model serving", "experiment tracking", "feature store")),
    ("governance tool", ("Unity Catalog", "Hive metastore")),
    ("search", ("vector search", "keyword search", "full-text search", "semantic search")),
    ("measure", ("cosine similarity", "Euclidean distance", "dot product", "Manhattan distance")),
    ("kind of data", ("labelled data", "unlabelled data", "structured data", "unstructured data")),
    ("kind of data", ("labelled", "unlabelled", "structured", "unstructured", "semi-structured")),
    ("mode", ("batch inference", "real-time inference", "streaming inference")),
    (
        "mode",
        ("online", "offline"),
    ),
    ("sampling setting", ("temperature", "top-p", "top-k")),
    ("memory", ("short-term memory", "long-term memory")),
    ("property", ("linear", "non-linear")),
    ("property", ("deterministic", "stochastic")),
    ("property", ("input", "output")),
)
"""Groups of terms a learner may confuse: (what they are, the terms). Any two terms of a
group are different answers however alike they are spelt; every term is a known term."""

TERMS: tuple[str, ...] = (
    "retrieval-augmented generation",
    "large language model",
    "vector search",
    "vector database",
    "embedding model",
    "prompt engineering",
    "Markov decision process",
    "hallucination",
    "guardrails",
    "agent",
    "chain",
    "tool calling",
    "knowledge base",
    "context window",
    "tokenizer",
    "lineage",
    "access control",
    "governance",
    "Mosaic AI",
    "Model Serving",
    "Delta Live Tables",
    "Apache Spark",
)
"""Other known terms of the field, with no sibling group of their own."""

GENERIC_HEADS = frozenset(
    {
        "algorithm",
        "algorithms",
        "analysis",
        "approach",
        "architecture",
        "clustering",
        "framework",
        "learning",
        "library",
        "method",
        "model",
        "network",
        "networks",
        "platform",
        "process",
        "prompting",
        "service",
        "system",
        "technique",
        "tool",
    }
)
"""Head nouns that say what kind of thing a term is, not which one: "K-means" names
K-means clustering, but "clustering" alone does not."""

QUALIFIERS = frozenset({"databricks", "apache", "mosaic", "azure", "aws", "open-source"})
"""Brand words a key may open with that an answer can leave out ("Unity Catalog" for
"Databricks Unity Catalog")."""
