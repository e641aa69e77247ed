//! Stories from the article: the seven bases, couples, the workplace.
