"""Pictures whose node anchors the built-in renderer must place where TeX does (within 1 pt).

Each entry is (title, TikZ source, nodes to compare). Every node is checked at its centre and
at its north east and south west anchors, so both position and size are compared.
"""

REFERENCE_PICTURES = [
    ("text nodes at font sizes", r"""
\node[draw] (a) at (0,0) {kernel (3x3)};
\node[draw,font=\tiny] (b) at (0,1) {tiny text};
\node[draw,font=\small] (c) at (0,2) {small};
\node[draw,font=\large] (d) at (3,0) {Large -1};
\node[draw,font=\Large] (e) at (3,1) {Wg};
\node[draw,font=\huge] (f) at (3,2.5) {9};
\node[draw,font=\bfseries] (g) at (6,0) {bold words};
\node[draw,font=\ttfamily] (h) at (6,1) {mono};
""", ["a", "b", "c", "d", "e", "f", "g", "h"]),
    ("math in nodes", r"""
\node[draw] (a) at (0,0) {$x_i$};
\node[draw] (b) at (2,0) {$^1$};
\node[draw] (c) at (4,0) {$x_i^2$};
\node[draw] (d) at (0,2) {$a + b = c$};
\node[draw] (e) at (3,2) {$-1$};
\node[draw] (f) at (6,2) {$\alpha \times \beta$};
\node[draw] (g) at (0,4) {$\sum_{i=1}^n w_i x_i$};
\node[draw] (h) at (4,4) {$f(x) \leq \mathbf{W}$};
\node[draw,font=\large] (i) at (7,4) {$y^{(l)}$};
""", ["a", "b", "c", "d", "e", "f", "g", "h", "i"]),
    ("sizes, seps, anchors", r"""
\node[draw,minimum width=2cm,minimum height=1cm] (a) at (0,0) {wide};
\node[draw,inner sep=0pt] (b) at (3,0) {tight};
\node[draw,inner xsep=6pt,inner ysep=1mm] (c) at (5,0) {seps};
\node[draw,minimum size=8mm,anchor=north west] (d) at (0,-2) {nw};
\node[draw,anchor=south] (e) at (3,-2) {south};
\node[draw,anchor=base] (f) at (5,-2) {base g};
\node[draw,anchor=30] (g) at (7,-2) {angle};
\node[draw,ultra thick] (h) at (7,0) {ultra};
\node[draw,outer sep=3pt] (i) at (9,0) {outer};
\node[draw,circle] (j) at (9,-2) {c};
\node[draw,circle,minimum size=1cm] (k) at (11,-2) {$x$};
""", ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]),
    ("text width and align", r"""
\node[draw,text width=3cm] (a) at (0,0) {kernel (3x3)};
\node[draw,text width=2cm] (b) at (4,0) {a longer label that wraps over lines};
\node[draw,align=center] (c) at (0,-3) {first\\second line};
\node[draw,align=left] (d) at (4,-3) {left\\aligned text};
\node[draw,text width=2cm,align=center] (e) at (7,-3) {centred words in a box};
\node[draw,text width=2.2cm,align=flush center] (f) at (10,-3) {words in a box that TeX breaks};
\node[draw,text width=2.2cm,align=justify] (g) at (10,0) {words in a box that TeX breaks};
\node[draw,text width=1.8cm,align=right,font=\small] (h) at (13,0) {small words set ragged left};
""", ["a", "b", "c", "d", "e", "f", "g", "h"]),
    ("scopes, units, transforms", r"""
\begin{scope}[shift={(2,1)}]
  \node[draw] (a) at (0,0) {shifted};
  \node[draw] (b) at (10mm,5pt) {units};
\end{scope}
\begin{scope}[scale=2]
  \node[draw] (c) at (1,-1) {scaled};
\end{scope}
\begin{scope}[xshift=1cm,yshift=-2cm,rotate=90]
  \node[draw] (d) at (1,0) {rotated scope};
\end{scope}
\node[draw,rotate=30] (e) at (6,0) {rotated node};
\node[draw] (f) at (30:2) {polar};
\node[draw,xshift=3pt,yshift=-2mm] (g) at (4,-3) {nudged};
""", ["a", "b", "c", "d", "e", "f", "g"]),
    ("paths with nodes", r"""
\draw[->] (0,0) -- (2,0) node[right] (a) {end};
\draw (0,-1) -- (2,-1) node[midway,above] (b) {mid};
\draw (0,-2) -| (2,-3) node[below] (c) {corner};
\draw[<->] (3,0) -- ++(1,1) node[above right] (d) {rel};
\draw (5,0) rectangle (6,1) node[pos=0.5] (e) {r};
\draw[step=0.5] (7,0) grid (8,1);
\draw (9,0) circle (0.5) node (f) {o};
\node[draw] (g) at (3,-3) {src};
\node[draw] (h) at (6,-2) {dst};
\draw[-stealth] (g) -- (h) node[near start,below] (i) {go};
\draw (g) |- (h);
\coordinate (k) at (1,-4);
\node[draw,anchor=west] (j) at (k) {at coordinate};
\draw (4,-4) -- node[above] (l) {on the way} (7,-4) -- node[pos=0.25,right] (m) {up} (7,-2);
""", ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "l", "m"]),
    ("foreach and matrix", r"""
\foreach \x in {0,...,3} \node[draw] (n\x) at (\x,0) {\x};
\foreach \x/\y in {0/a,1/b} { \node[draw] (m\x) at (\x*1.5,-1) {$\y_\x$}; }
\matrix (m) [matrix of nodes, nodes={draw,minimum size=6mm}, column sep=1mm, row sep=2mm] at (2,-4) {
  1 & 0 & -1 \\
  2 & 0 & -2 \\
};
\matrix (t) [matrix of nodes, draw] at (7,-4) {
  a & long cell \\
  $x^2$ & g \\
};
""", ["n0", "n3", "m0", "m1", "m", "m-1-1", "m-1-3", "m-2-2", "t", "t-1-1", "t-1-2", "t-2-1", "t-2-2"]),
    ("picture options and styles", r"""
\begin{tikzpicture}[scale=0.8, every node/.style={draw, font=\small}, cell/.style={minimum size=7mm, fill=blue!20}]
\node[cell] (a) at (0,0) {1};
\node[cell, thick] (b) at (1,0) {2};
\tikzset{big/.style={minimum width=2cm}}
\node[big] (c) at (0,-2) {big};
\node (d) at (3,-2) [x=2cm] {plain};
\end{tikzpicture}
""", ["a", "b", "c", "d"]),
    ("curves, arcs, ellipses and plots", r"""
\draw (0,0) .. controls (1,1) and (2,1) .. (3,0) node[pos=0.3,above] (a) {a};
\draw[->] (0,-1) .. controls +(0,1) and +(0,1) .. (3,-1) node[midway,below] (b) {b};
\draw (5,0) arc (0:120:1) node[left] (c) {c};
\draw[thick] (5,-2) arc [start angle=0, end angle=-180, x radius=1cm, y radius=5mm] node[below] (d) {d};
\draw (8,0) ellipse (1 and 0.5) node (e) {e};
\draw[domain=0:6.28, samples=30, smooth] plot (\x*0.3, {sin(\x r)-3}) node[right] (f) {f};
\draw plot coordinates {(0,-5) (1,-4.5) (2,-5.5)} node[right] (g) {g};
\node[draw] (h) at (6,-4) {h};
\node[draw] (i) at (8,-5) {i};
\draw (h) .. controls (7,-4) .. (i) node[pos=0.5] (j) {j};
""", ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]),
    ("to paths: bend and out/in", r"""
\node[draw] (a) at (0,0) {a};
\node[draw,circle] (b) at (3,1) {b};
\node[draw] (c) at (6,0) {c};
\draw[->] (a) to[bend left] node[above] (d) {d} (b);
\draw[->] (b) to[bend right=45] node[pos=0.3] (e) {e} (c);
\draw (a) to[out=-90,in=-90] node[below] (f) {f} (c);
\draw (0,-3) to[out=0,in=180] node (g) {g} (3,-2);
\draw (4,-3) to[bend left=20, looseness=2] node[above] (h) {h} (6,-3);
\draw (a) to node[left] (i) {i} (0,-2);
""", ["a", "b", "c", "d", "e", "f", "g", "h", "i"]),
    ("labels", r"""
\node[draw,minimum size=1cm,label={[name=l1]above:top},label={[red,name=l2]45:ne},label={[name=l3]right:r}] (a) at (0,0) {body};
\node[draw,circle,label={[name=l4]below:$x_i$},label distance=2mm,label={[name=l5]150:far}] (b) at (4,0) {c};
\draw[label distance=1mm] (6,0) -- (8,0) node[draw,midway,label={[name=l6]below:under}] (c) {on};
\node[draw,label={[name=l7]center:mid},label={[name=l8]left:{a, b}}] (d) at (3,-3) {wide body text};
""", ["a", "b", "c", "d", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8"]),
    ("sloped and auto nodes", r"""
\draw (0,0) -- (3,2) node[midway,sloped,above] (a) {sloped above};
\draw (4,2) -- (7,0) node[pos=0.3,sloped,below=2pt] (b) {down slope};
\draw (3,-3) -- (0,-1) node[midway,sloped] (c) {backwards};
\draw (0,-4) .. controls (1,-2) and (2,-6) .. (3,-4) node[pos=0.5,sloped,above] (d) {on a curve};
\draw[->] (5,-4) -- node[auto] (e) {left} (7,-2);
\draw[->] (5,-5) -- node[auto,swap] (f) {right} (7,-6);
\draw (8,0) -- (8,-3) node[auto] (g) {end};
""", ["a", "b", "c", "d", "e", "f", "g"]),
    ("positioning library", r"""
\usetikzlibrary{positioning}
\begin{tikzpicture}[node distance=1.5cm, every node/.style={draw}]
\node[circle] (a) at (0,0) {$x_1$};
\node[below left=of a] (b) {b};
\node[right=5mm of a, font=\large] (c) {wide text};
\node[above right=of c, node distance=8mm and 2cm] (d) {d};
\node[on grid, right=of d] (e) {ee};
\node[base right=of e] (f) {gy};
\node[below=of a.south west] (g) {g};
\node[left=of {(0,-3)}] (h) {h};
\node[right=of a] at (6,-3) (i) {at wins};
\node at (6,-4) [right=of a, yshift=2mm] (j) {of wins};
\node[right of=b, node distance=2cm] (k) {old};
\node[below=2 of b] (l) {unitless};
\node[mid right=of l, on grid] (m) {m};
\node[above left=3mm] (n) at (3,-5) {diag};
\begin{scope}[scale=2, shift={(1,-4)}]
  \node (o) at (1,0) {o};
  \node[below=1 of o] (p) {p};
\end{scope}
\end{tikzpicture}
""", ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"]),
    ("placement without the positioning library", r"""
\begin{tikzpicture}[x=2cm]
\node[draw] (a) at (0,0) {a};
\node[draw, above left=3mm, xshift=1mm] (b) at (0,0) {b};
\node[draw, right of=a] (c) {c};
\node[draw, below right of=a, node distance=2cm] (d) {d};
\end{tikzpicture}
""", ["a", "b", "c", "d"]),
    ("edges", r"""
\node[draw] (a) at (0,0) {a};
\node[draw,circle] (b) at (3,1) {b};
\node[draw] (c) at (3,-1.5) {long c};
\draw[->] (a) edge node[above,sloped] (l1) {in} (b)
              edge[bend right, thick] node[pos=0.3,auto] (l2) {w} node[coordinate,pos=0] (s2) {} node[coordinate,pos=1] (e2) {} (c);
\path[<-] (b) edge[out=0, in=90, looseness=1.5] node[coordinate,pos=0] (s3) {} node[coordinate,pos=0.5] (m3) {} node[coordinate,pos=1] (e3) {} (c);
\draw (0,-3) -- (1,-3) edge node[below] (l4) {e} ++(1,-1) -- (1,-2) node[right] (n5) {n} edge[dashed] (a);
\node[draw] (d) at (6,0) {d} edge[->] node[coordinate,pos=0] (s6) {} (c) edge[bend left=10] node[midway,above] (l7) {x} (b);
\draw[red] (a) edge node[coordinate, near end] (q8) {} (b.south);
""", ["a", "b", "c", "d", "l1", "l2", "s2", "e2", "s3", "m3", "e3", "l4", "n5", "s6", "l7", "q8"]),
    ("calc coordinates", r"""
\usetikzlibrary{calc}
\node[draw] (a) at (0,0) {a};
\node[draw,circle] (b) at (4,2) {b};
\coordinate (p1) at ($(a)+(1,0)$);
\coordinate (p2) at ($(a)!0.5!(b)$);
\coordinate (p3) at ($(a)!1cm!(b)$);
\coordinate (p4) at ($(a)!0.5!90:(b)$);
\coordinate (p5) at ($2*(a)-(b)$);
\coordinate (p6) at ($(a.north east)!0.25!(b.south)$);
\coordinate (p7) at ($(a)!(3,3)!(b)$);
\coordinate (p8) at ($ {sqrt(2)}*(b) - 0.5*(1,1) + (30:1cm) $);
\coordinate (p9) at ($(a)!0.5!(b)!1cm!90:(b)$);
\draw[->] ($(a.east)+(0,-1)$) -- ($(b)-(0,1)$) node[right] (n1) {end};
\begin{scope}[shift={(1,-3)}, scale=1.5, rotate=20]
  \coordinate (q1) at ($(a)+(1,0)$);
  \coordinate (q2) at ($(a)!1cm!(b)$);
  \node[draw] (n2) at ($(b)!0.5!(1,0)$) {s};
  \draw (0,0) -- ++($(b)-(a)$) node (n3) {t};
\end{scope}
""", ["a", "b", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "n1", "q1", "q2", "n2", "n3"]),
    ("clipping", r"""
\node[draw] (a) at (5,3) {after};
\begin{scope}
  \clip (0,0) rectangle (3,2) node[pos=0.5] (m) {clipped node};
  \fill[blue!20] (-1,-1) rectangle (4,4);
  \draw[thick] (-1,-1) -- (4,3);
  \begin{scope}[red]
    \draw[clip] (1.5,1) circle (0.8);
    \fill[red!30] (0,0) rectangle (3,3);
    \node[draw] (n) at (1.5,1.9) {inside two};
  \end{scope}
  \draw (0,1.5) -- (5,1.5);
\end{scope}
\draw[->] (0,-1) -- (6,-1);
""", ["a", "m", "n"]),
    ("pins, and a label's own label distance", r"""
\node[draw, label={[name=l1, label distance=5mm]above:x}] (a) at (0,0) {a};
\node[draw, pin={[name=p1]right:pin}, pin={[name=p2, pin distance=1cm, pin edge={red, thick}]60:far}] (b) at (3,0) {node b};
\draw[pin distance=2mm] (0,-2) -- (2,-2) node[draw, circle, pin={[name=p3]below left:$x_i$}] (c) {c};
\node[draw, pin={[name=p4]nothing}] (d) at (6,-2) {d};
\begin{scope}[every pin edge/.style={blue, ->}]
\node[fill=yellow, pin={[name=p5, draw]-30:out}] (e) at (4,-3) {e};
\end{scope}
""", ["a", "b", "c", "d", "e", "l1", "p1", "p2", "p3", "p4", "p5"]),
    ("math accents in nodes", r"""
\node[draw] (a) at (0,0) {$\hat{y}$};
\node[draw] (b) at (2,0) {$\hat y_i$};
\node[draw] (c) at (4,0) {$\vec{x} \cdot \vec{w}$};
\node[draw] (d) at (0,2) {$\bar{x}^2$};
\node[draw] (e) at (2,2) {$\tilde{w} + \dot{a}$};
\node[draw,font=\large] (f) at (5,2) {$\hat{W}$};
""", ["a", "b", "c", "d", "e", "f"]),
    ("coordinates with shifts", r"""
\node[draw] (a) at (0,0) {a};
\node[draw] (b) at ([xshift=1cm, yshift=-2mm]a.east) {b};
\node[draw] (c) at ([shift={(1,1)}]0,0) {c};
\draw[->] ([xshift=2mm]a.north) -- ([yshift=5mm]b);
\begin{scope}[xshift=4cm, scale=1.5, rotate=30]
\node[draw] (d) at (0,0) {d};
\node[draw] (e) at ([xshift=1cm]d.east) {e};
\node[draw] (f) at ([yshift=5mm]1,0) {f};
\end{scope}
""", ["a", "b", "c", "d", "e", "f"]),
    ("fractions in nodes", r"""
\node[draw] (a) at (0,0) {$\frac{1}{s+a}$};
\node[draw] (b) at (3,0) {$H(s) = \frac{K}{1 + sT}$};
\node[draw] (c) at (0,2) {$\frac{x^2}{2}$};
\node[draw] (d) at (3,2) {$y = \hat{x} + \frac{\alpha}{\beta_k}$};
\node[draw,font=\large] (e) at (7,0) {$2\frac{1}{2}$};
\node[draw,align=center] (f) at (7,2) {gain\\$x_i = \frac{1}{2}$ and $e^{\frac{a}{b}}$};
""", ["a", "b", "c", "d", "e", "f"]),
]
