"""Small built-in word lists used by the entity heuristics.

Kept in code (not data files) so the package needs no package-data config and
works offline.  The first-name list is the union of the 1,000 most frequent
male and female first names of the 1990 US census (public domain, as shipped
by the PyPI package ``names`` 0.3.0) plus a few common nicknames and modern
names; it only backs up spaCy's small NER, which misses many plain first names.
"""

from __future__ import annotations

_CENSUS_FIRST_NAMES = """
Aaron Abby Abdul Abe Abel Abigail Abraham Ada Adam Adan Addie Adela Adele Adeline Adolfo
Adolph Adrian Adriana Adrienne Agnes Agustin Ahmad Ahmed Aida Aileen Aimee Aisha Al Alan
Alana Alba Albert Alberta Alberto Alden Aldo Alec Alejandra Alejandro Alex Alexander
Alexandra Alexandria Alexis Alfonso Alfonzo Alfred Alfreda Alfredo Ali Alice Alicia
Aline Alisa Alisha Alison Alissa Allan Allen Allie Allison Allyson Alma Alonzo Alphonse
Alphonso Alta Althea Alton Alva Alvaro Alvin Alyce Alyson Alyssa Amado Amalia Amanda
Amber Amelia Amie Amos Amparo Amy Ana Anastasia Anderson Andre Andrea Andres Andrew Andy
Angel Angela Angelia Angelica Angelina Angeline Angelique Angelita Angelo Angie Anibal
Anita Ann Anna Annabelle Anne Annette Annie Annmarie Anthony Antoine Antoinette Anton
Antone Antonia Antonio Antony Antwan April Araceli Archie Ariel Arlene Arline Armand
Armando Arnold Arnulfo Aron Arron Art Arthur Arturo Ashlee Ashley Aubrey Audra Audrey
August Augusta Augustine Augustus Aurelia Aurelio Aurora Austin Autumn Ava Avery Avis
Barbara Barbra Barney Barry Bart Barton Basil Beatrice Beatriz Beau Becky Belinda Ben
Benita Benito Benjamin Bennett Bennie Benny Bernadette Bernadine Bernard Bernardo
Bernice Bernie Berry Bert Berta Bertha Bertie Beryl Bessie Beth Bethany Betsy Bette
Bettie Betty Bettye Beulah Beverley Beverly Bianca Bill Billie Billy Blaine Blair Blake
Blanca Blanche Bob Bobbi Bobbie Bobby Bonita Bonnie Booker Boris Boyd Brad Bradford
Bradley Bradly Brady Brain Branden Brandi Brandie Brandon Brandy Brant Brenda Brendan
Brent Brenton Bret Brett Brian Briana Brianna Brice Bridget Bridgett Bridgette Brigitte
Britney Brittany Brittney Brock Brooke Brooks Bruce Bruno Bryan Bryant Bryce Bryon Bud
Buddy Buford Burl Burt Burton Byron Caitlin Caleb Callie Calvin Cameron Camille Candace
Candice Candy Cara Carey Carissa Carl Carla Carlene Carlo Carlos Carlton Carly Carmela
Carmella Carmelo Carmen Carmine Carol Carole Carolina Caroline Carolyn Carrie Carroll
Carson Carter Cary Casandra Casey Cassandra Cassie Catalina Catherine Cathleen Cathryn
Cathy Cecelia Cecil Cecile Cecilia Cedric Celeste Celia Celina Cesar Chad Chadwick
Chance Chandra Chang Charity Charlene Charles Charley Charlie Charlotte Charmaine Chase
Chasity Chauncey Chelsea Cheri Cherie Cherry Cheryl Chester Chi Chris Christa Christi
Christian Christie Christina Christine Christoper Christopher Christy Chrystal Chuck
Cindy Clair Claire Clara Clare Clarence Clarice Clarissa Clark Claude Claudette Claudia
Claudine Claudio Clay Clayton Clement Cleo Cleveland Cliff Clifford Clifton Clint
Clinton Clyde Cody Colby Cole Coleen Coleman Colette Colin Colleen Collin Concepcion
Concetta Connie Conrad Constance Consuelo Cora Corey Corina Corine Corinne Cornelia
Cornelius Cornell Corrine Cory Courtney Coy Craig Cristina Cruz Crystal Curt Curtis
Cynthia Cyril Cyrus Daisy Dale Dallas Dalton Damian Damien Damion Damon Dan Dana Dane
Danial Daniel Danielle Dannie Danny Dante Daphne Darcy Daren Darin Dario Darius Darla
Darlene Darnell Darrel Darrell Darren Darrin Darryl Darwin Daryl Dave David Davis Dawn
Dean Deana Deandre Deann Deanna Deanne Debbie Debora Deborah Debra Dee Deena Deidre
Deirdre Delbert Delia Della Delmar Delmer Delores Deloris Demetrius Dena Denis Denise
Dennis Denny Denver Deon Derek Derick Derrick Desiree Desmond Devin Devon Dewayne Dewey
Dewitt Dexter Diana Diane Diann Dianna Dianne Dick Diego Dillon Dina Dino Dion Dionne
Dirk Dixie Dollie Dolly Dolores Domingo Dominic Dominick Dominique Don Dona Donald Donn
Donna Donnell Donnie Donny Donovan Dora Doreen Dorian Doris Dorothea Dorothy Dorthy Doug
Douglas Doyle Drew Duane Dudley Duncan Dustin Dusty Dwayne Dwight Dylan Earl Earle
Earlene Earline Earnest Earnestine Ebony Ed Eddie Eddy Edgar Edgardo Edith Edmond Edmund
Edna Eduardo Edward Edwardo Edwin Edwina Effie Efrain Efren Eileen Elaine Elba Elbert
Eldon Eleanor Elena Eli Elias Elijah Elinor Elisa Elisabeth Elise Eliseo Eliza Elizabeth
Ella Ellen Elliot Elliott Ellis Elma Elmer Elmo Elnora Eloise Eloy Elsa Elsie Elton Elva
Elvia Elvin Elvira Elvis Elwood Emanuel Emerson Emery Emil Emile Emilia Emilio Emily
Emma Emmanuel Emmett Emory Enid Enrique Eric Erica Erich Erick Ericka Erik Erika Erin
Erma Erna Ernest Ernestine Ernesto Ernie Errol Ervin Erwin Esmeralda Esperanza Essie
Esteban Estela Estella Estelle Ester Esther Ethan Ethel Etta Eugene Eugenia Eugenio Eula
Eunice Eva Evan Evangelina Evangeline Eve Evelyn Everett Everette Ezra Fabian Faith
Fannie Fanny Faustino Fay Faye Federico Felecia Felicia Felipe Felix Ferdinand Fern
Fernando Fidel Fletcher Flora Florence Florine Flossie Floyd Forest Forrest Foster Fran
Frances Francesca Francine Francis Francisca Francisco Frank Frankie Franklin Fred Freda
Freddie Freddy Frederic Frederick Fredric Fredrick Freeman Freida Frieda Fritz Gabriel
Gabriela Gabrielle Gail Gale Galen Garland Garrett Garry Garth Gary Gavin Gay Gayle Gena
Genaro Gene Geneva Genevieve Geoffrey George Georgette Georgia Georgina Gerald Geraldine
Gerard Gerardo German Gerry Gertrude Gil Gilbert Gilberto Gilda Gina Ginger Gino
Giovanni Gladys Glen Glenda Glenn Glenna Gloria Goldie Gonzalo Gordon Grace Gracie
Graciela Grady Graham Grant Greg Gregg Gregorio Gregory Greta Gretchen Grover Guadalupe
Guillermo Gus Gustavo Guy Gwen Gwendolyn Hal Haley Hallie Hank Hannah Hans Harlan Harley
Harold Harriet Harriett Harris Harrison Harry Harvey Hattie Hazel Heath Heather Hector
Heidi Helen Helena Helene Helga Henrietta Henry Herbert Heriberto Herman Herminia
Herschel Hershel Hester Hilario Hilary Hilda Hillary Hiram Hollie Hollis Holly Homer
Hope Horace Horacio Houston Howard Hubert Hugh Hugo Humberto Hung Hunter Ian Ida Ignacio
Ila Ilene Imelda Imogene Ina Ines Inez Ingrid Ira Irene Iris Irma Irvin Irving Irwin
Isaac Isabel Isabella Isabelle Isaiah Isiah Isidro Ismael Israel Issac Iva Ivan Ivory
Ivy Jack Jackie Jacklyn Jackson Jaclyn Jacob Jacqueline Jacquelyn Jacques Jaime Jake
Jamaal Jamal Jamar Jame Jamel James Jami Jamie Jan Jana Jane Janell Janelle Janet
Janette Janice Janie Janine Janis Janna Jannie Jared Jarred Jarrett Jarrod Jarvis
Jasmine Jason Jasper Javier Jay Jayne Jayson Jean Jeanette Jeanie Jeanine Jeanne
Jeannette Jeannie Jeannine Jed Jeff Jefferey Jefferson Jeffery Jeffrey Jeffry Jenifer
Jenna Jennie Jennifer Jenny Jerald Jeremiah Jeremy Jeri Jermaine Jerold Jerome Jerri
Jerrod Jerrold Jerry Jess Jesse Jessica Jessie Jesus Jewel Jewell Jill Jillian Jim
Jimmie Jimmy Jo Joan Joann Joanna Joanne Joaquin Jocelyn Jodi Jodie Jody Joe Joel Joesph
Joey Johanna John Johnathan Johnathon Johnie Johnnie Johnny Jolene Jon Jonah Jonas
Jonathan Jonathon Joni Jordan Jorge Jose Josef Josefa Josefina Joseph Josephine Josh
Joshua Josiah Josie Josue Joy Joyce Juan Juana Juanita Judith Judson Judy Jules Julia
Julian Juliana Julianne Julie Juliet Juliette Julio Julius June Junior Justin Justine
Kaitlin Kara Kareem Karen Kari Karin Karina Karl Karla Karyn Kasey Kate Katelyn
Katharine Katherine Katheryn Kathie Kathleen Kathrine Kathryn Kathy Katie Katina Katrina
Katy Kay Kaye Kayla Keisha Keith Kelley Kelli Kellie Kelly Kelsey Kelvin Ken Kendall
Kendra Kendrick Kenneth Kennith Kenny Kent Kenton Kenya Keri Kermit Kerri Kerry Keven
Kevin Kieth Kim Kimberley Kimberly Kip Kirby Kirk Kirsten Kitty Kory Kris Krista Kristen
Kristi Kristie Kristin Kristina Kristine Kristopher Kristy Krystal Kurt Kurtis Kyle
Lacey Lacy Ladonna Lakeisha Lakisha Lamar Lamont Lana Lance Landon Lane Lanny Lara Larry
Latasha Latisha Latonya Latoya Laura Laurel Lauren Laurence Lauri Laurie Lavern Laverne
Lavonne Lawanda Lawrence Lazaro Lea Leah Leann Leanna Leanne Lee Leigh Leila Lela Leland
Lelia Lemuel Lena Lenard Lenny Lenora Lenore Leo Leola Leon Leona Leonard Leonardo
Leonel Leonor Leopoldo Leroy Les Lesa Lesley Leslie Lessie Lester Leta Letha Leticia
Letitia Levi Lewis Lidia Lila Lilia Lilian Liliana Lillian Lillie Lilly Lily Lina
Lincoln Linda Lindsay Lindsey Linwood Lionel Lisa Liz Liza Lizzie Lloyd Logan Lois Lola
Lolita Lon Lonnie Lora Loraine Loren Lorena Lorene Lorenzo Loretta Lori Lorie Lorna
Lorraine Lorrie Lottie Lou Louella Louie Louis Louisa Louise Lourdes Lowell Loyd Luann
Lucas Lucia Luciano Lucien Lucile Lucille Lucinda Lucio Lucy Luella Luis Luisa Luke Lula
Lupe Luther Luz Lydia Lyle Lyman Lynda Lynette Lynn Lynne Lynnette Mabel Mable Mac Mack
Madeleine Madeline Madelyn Madge Mae Magdalena Maggie Mai Major Malcolm Malinda Mallory
Mamie Mandy Manuel Manuela Mara Marc Marcel Marcelino Marcella Marcelo Marci Marcia
Marcie Marco Marcos Marcus Marcy Margaret Margarita Margarito Margery Margie Margo
Margret Marguerite Mari Maria Marian Mariana Marianne Mariano Maribel Maricela Marie
Marietta Marilyn Marina Mario Marion Marisa Marisol Marissa Maritza Marjorie Mark Marla
Marlene Marlin Marlon Marquis Marquita Marsha Marshall Marta Martha Martin Martina Marty
Marva Marvin Mary Maryann Maryanne Maryellen Marylou Mason Mathew Matilda Matt Matthew
Mattie Maude Maura Maureen Maurice Mauricio Mauro Mavis Max Maxine Maxwell May Maynard
Mayra Meagan Megan Meghan Mel Melanie Melba Melinda Melisa Melissa Melody Melva Melvin
Mercedes Meredith Merle Merlin Merrill Mervin Mia Micah Michael Micheal Michel Michele
Michelle Mickey Miguel Mike Milagros Mildred Miles Milford Millard Millicent Millie Milo
Milton Mindy Minerva Minnie Miranda Miriam Misty Mitch Mitchel Mitchell Mitzi Mohamed
Mohammad Mohammed Moises Mollie Molly Mona Monica Monique Monroe Monte Monty Morgan
Morris Morton Moses Muriel Murray Myles Myra Myrna Myron Myrtle Nadia Nadine Nancy
Nanette Nannie Naomi Napoleon Natalia Natalie Natasha Nathan Nathaniel Neal Ned Neil
Nelda Nell Nellie Nelson Nestor Nettie Neva Newton Nicholas Nichole Nick Nickolas
Nicolas Nicole Nigel Nikki Nina Nita Noah Noe Noel Noelle Noemi Nola Nolan Nona Nora
Norbert Norberto Noreen Norma Norman Normand Norris Numbers Octavio Odell Odessa Odis
Ofelia Ola Olen Olga Olin Olive Oliver Olivia Ollie Omar Opal Ophelia Ora Orlando Orval
Orville Oscar Osvaldo Otis Otto Owen Pablo Paige Pam Pamela Pansy Parker Pasquale Pat
Patrica Patrice Patricia Patrick Patsy Patti Patty Paul Paula Paulette Pauline Pearl
Pearlie Pedro Peggy Penelope Penny Percy Perry Pete Peter Petra Phil Philip Phillip
Phoebe Phyllis Pierre Polly Porfirio Preston Prince Priscilla Queen Quentin Quincy Quinn
Quinton Rachael Rachel Rachelle Rae Rafael Ralph Ramiro Ramon Ramona Randal Randall
Randell Randi Randolph Randy Raphael Raquel Raul Ray Raymond Raymundo Reba Rebecca
Rebekah Reed Refugio Reggie Regina Reginald Reid Reinaldo Rena Rene Renee Reuben Reva
Rex Reyes Reyna Reynaldo Rhea Rhoda Rhonda Ricardo Rich Richard Richie Rick Rickey
Rickie Ricky Rico Rigoberto Riley Rita Rob Robbie Robby Robert Roberta Roberto Robin
Robt Robyn Rocco Rochelle Rocky Rod Roderick Rodger Rodney Rodolfo Rodrick Rodrigo
Rogelio Roger Roland Rolando Rolland Roman Romeo Ron Ronald Ronda Ronnie Ronny Roosevelt
Rory Rosa Rosalie Rosalind Rosalinda Rosalyn Rosanna Rosanne Rosario Roscoe Rose Roseann
Rosella Rosemarie Rosemary Rosendo Rosetta Rosie Roslyn Ross Rowena Roxanne Roxie Roy
Royal Royce Ruben Rubin Ruby Rudolph Rudy Rufus Rupert Russ Russel Russell Rusty Ruth
Ruthie Ryan Sabrina Sadie Sal Sallie Sally Salvador Salvatore Sam Samantha Sammie Sammy
Samuel Sandra Sandy Sanford Sang Santiago Santos Sara Sarah Sasha Saul Saundra Savannah
Scot Scott Scottie Scotty Sean Sebastian Selena Selma Serena Sergio Seth Seymour Shana
Shane Shanna Shannon Shari Sharlene Sharon Sharron Shaun Shauna Shawn Shawna Sheena
Sheila Shelby Sheldon Shelia Shelley Shelly Shelton Sheree Sheri Sherman Sherri Sherrie
Sherry Sheryl Shirley Sidney Silas Silvia Simon Simone Socorro Sofia Solomon Son Sondra
Sonia Sonja Sonny Sonya Sophia Sophie Spencer Stacey Staci Stacie Stacy Stan Stanley
Stefan Stefanie Stella Stephan Stephanie Stephen Sterling Steve Steven Stevie Stewart
Stuart Sue Summer Sung Susan Susana Susanna Susanne Susie Suzanne Suzette Sybil Sydney
Sylvester Sylvia Tabatha Tabitha Tad Tamara Tameka Tamera Tami Tamika Tammi Tammie Tammy
Tamra Tania Tanisha Tanner Tanya Tara Tasha Taylor Ted Teddy Terence Teresa Teri Terra
Terrance Terrell Terrence Terri Terrie Terry Tessa Thad Thaddeus Thanh Thelma Theodore
Theresa Therese Theron Thomas Thurman Tia Tiffany Tim Timmy Timothy Tina Tisha Toby Tod
Todd Tom Tomas Tommie Tommy Toni Tonia Tony Tonya Tory Tracey Traci Tracie Tracy Travis
Trent Trenton Trevor Trey Tricia Trina Trinidad Trisha Tristan Troy Trudy Truman Twila
Ty Tyler Tyree Tyrone Tyson Ulysses Ursula Valarie Valentin Valeria Valerie Van Vance
Vanessa Vaughn Velma Vera Vern Verna Vernon Veronica Vicente Vicki Vickie Vicky Victor
Victoria Vilma Vince Vincent Viola Violet Virgie Virgil Virginia Vito Vivian Vonda Wade
Waldo Walker Wallace Walter Wanda Ward Warren Wayne Weldon Wendell Wendi Wendy Wesley
Weston Whitney Wilbert Wilbur Wilburn Wilda Wiley Wilford Wilfred Wilfredo Will Willa
Willard William Williams Willie Willis Wilma Wilmer Wilson Wilton Winfred Winifred
Winnie Winston Wm Woodrow Wyatt Xavier Yesenia Yolanda Yong Young Yvette Yvonne
Zachariah Zachary Zachery Zane Zelma
"""

# Nicknames and newer names that the 1990 list lacks.
_EXTRA_FIRST_NAMES = """
Abby Ali Ava Aiden Alexa Amir Ana Andy Anya Aria Arjun Ayesha Bella Bex Brody Caleb
Carly Charlie Chloe Chris Cindy Dani Danny Dave Deb Debbie Dev Eli Ella Ellie Emma Ethan
Evie Finn Gabe Gina Greg Harper Hiro Isla Jake Jay Jen Jess Jo Joe Jon Josh Kai Kat
Kate Katie Kenji Kim Lena Liam Liz Lucas Luna Maya Meg Mel Mia Mike Mo Nate Nico Noah
Nora Olivia Omar Pete Priya Raj Ravi Rohan Sam Sara Sophia Steph Steve Sven Theo Tim
Tony Wei Yuki Zach Zara Zoe
"""

FIRST_NAMES: frozenset[str] = frozenset((_CENSUS_FIRST_NAMES + _EXTRA_FIRST_NAMES).split())

# First names that are also everyday English words, months, places or
# surnames.  These count as a PERSON only when spaCy's NER (or the caller's
# known names) says so, never from the list alone.
AMBIGUOUS_FIRST_NAMES: frozenset[str] = frozenset(
    """
    Al Amber Angel April Art August Augusta Austin Autumn Bill Bob Bobby Brain Brandy
    Buddy Bud Candy Carol Carolina Chance Charity Charlotte Chase Cherry Chi Christian
    Chuck Clay Cleveland Cole Crystal Daisy Dallas Dawn Dean Denver Dick Dixie Dolly Don
    Drew Dusty Earl Earnest Ed Faith Fern Florence Forest Frank Gale Gay Geneva Georgia
    German Ginger Glen Grace Grant Guy Hazel Heath Heather Holly Hope Houston Hunter Iris
    Israel Ivory Ivy Jack Jan Jewel Jimmy Jordan Joy June Junior Kenya Kip Kitty Lacy
    Lance Lane Laurel Lee Lily Lincoln Mac Mack Major Mark Mason Max May Melody Misty
    Nick Numbers Odessa Olive Opal Orlando Page Pansy Parker Pat Patsy Pearl Penny Prince
    Queen Ray Reed Rich Rob Robin Rocky Rose Royal Ruby Rusty Sandy Sang Savannah Son
    Sterling Sue Summer Sung Sunny Sydney Tad Trinidad Van Violet Wade Walker Ward Will
    Young
    """.split()
)

# Words spaCy's small model often tags PROPN or capitalises at the start of a
# chat turn; never entities on their own.
NOT_NAMES: frozenset[str] = frozenset(
    """
    ah aha alright amazing anyway aw aww awww awesome bye cheers congrats congratulations cool
    dunno gon gonna gotta lemme looky wan wanna woohoo woot yikes yum ugh
    last next every each some any another other such own same
    dear definitely exactly god gosh goodbye great haha hahaha happy hello hey hi hmm hm
    honestly hooray huh jeez lol mate nah nice no nope oh ok okay omg ooh oops ouch
    please really right sorry sure thank thanks thx totally well whoa wow yay yeah yep
    yes yo yup
    i me my mine myself you your yours we us our he him his she her they them their it
    this that these those there here what who whom which where when why how
    the a an and or but so if then also just very too not
    mr mrs ms dr sir madam mom mum dad mama papa grandma grandpa bro sis
    today tonight tomorrow yesterday morning evening night weekend
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue tues wed weds thu thur thurs fri sat sun
    ceo cto cfo coo vp pr faq fyi btw asap diy tv ok
    """.split()
)

MONTHS: frozenset[str] = frozenset(
    "january february march april may june july august september october november december".split()
)
WEEKDAYS: frozenset[str] = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday "
    "mon tue tues wed weds thu thur thurs fri sat sun".split()
)

# Lower-case words inside a title-cased name ("Lord of the Rings").
TITLE_FUNCTION_WORDS: frozenset[str] = frozenset(
    "a an and as at by for from in into of on or the to vs with".split()
)

# Technology names matched case-insensitively (no everyday-word meaning).
TECH_TERMS: frozenset[str] = frozenset(
    """
    ansible aws azure bigquery cassandra chatgpt circleci
    clickhouse cockroachdb cuda django docker dockerfile duckdb dynamodb elasticsearch
    fastapi faiss gcp git github gitlab golang grafana graphql grpc hadoop heroku
    javascript jenkins jira jquery json jupyter k8s kotlin kubernetes kubectl kuzu
    laravel linux macos mariadb matplotlib memcached mongodb mysql neo4j netlify
    nginx nodejs node.js npm numpy nvidia openai openapi opencv php
    postgres postgresql powershell pytest pytorch rabbitmq redis
    redshift rocksdb scikit-learn scipy sqlite
    sql svelte tailwind tensorflow terraform typescript ubuntu unix vercel vue vue.js
    vscode webpack wordpress xml yaml zookeeper
    """.split()
)

# Technology names that are also common words ("go", "rust", "react"): TECH
# only when written capitalised as here and not the first word of a sentence.
AMBIGUOUS_TECH_TERMS: frozenset[str] = frozenset(
    """
    Airflow Angular Apache C++ Celery Dart Django Elixir Erlang Flask Go Haskell Helm Java
    Kafka Oracle Pandas Perl Prometheus Python React Ruby Rails Rust Scala Selenium
    Snowflake Swift Windows
    """.split()
)

# Last word of a proper-noun run that marks an organisation.
ORG_SUFFIXES: frozenset[str] = frozenset(
    """
    inc inc. corp corp. corporation co co. ltd ltd. llc plc gmbh ag sa labs lab group
    company foundation institute university college school academy association society
    club team bank agency council committee department ministry hospital church
    """.split()
)

# Head nouns of a noun chunk that name an organisation or group
# ("the Payments team", "a LGBTQ support group").
ORG_HEAD_NOUNS: frozenset[str] = frozenset(
    """
    team group club company department committee squad organization organisation
    foundation association society union council agency band church school university
    college center centre lab institute charity shelter studio league
    """.split()
)

# Head nouns of a noun chunk that name a software component ("the auth
# service"), with a modifier in front.
TECH_HEAD_NOUNS: frozenset[str] = frozenset(
    """
    service server database db api cluster pipeline microservice backend frontend repo
    repository
    """.split()
)

# Modifiers that make "<x> service" ordinary English rather than software.
NON_TECH_MODIFIERS: frozenset[str] = frozenset(
    """
    customer community military memorial church room food social public health funeral
    religious streaming delivery volunteer civil national secret wedding car taxi
    """.split()
)
